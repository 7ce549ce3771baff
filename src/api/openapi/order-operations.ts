import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  orderListQuerySchema,
} from '../orders/order-list-query.js';
import { orderReadQuerySchema } from '../orders/order-read-query.js';
import { orderRequestSchema } from '../orders/order-request.js';
import { SCOPES } from '../auth/access-rules.js';
import { orderIdSchema, orderPageSchema, orderResourceSchema } from '../orders/order-resource.js';
import {
  acceptPostHeader,
  idempotencyKeyHeader,
  idempotentReplayedHeader,
  locationHeader,
  nextPageLinkHeader,
  preferenceAppliedHeader,
  preferHeader,
  requestIdHeader,
  retryAfterHeader,
  varyHeader,
  wwwAuthenticateHeader,
} from './http-headers.js';
import { problemExamples } from './problem-examples.js';
import { validationProblemSchema } from './problem-schemas.js';
import { jsonResponse, problemResponse, unavailableResponse } from './responses.js';

// The validators themselves, only given a name and words: what the document says a request
// may hold is what the API checks.
const orderRequest = orderRequestSchema.meta({
  id: 'OrderRequest',
  description: 'An order to accept. No other fields are allowed.',
  examples: [{ user_id: '7c11e1ce2741', product_code: 'classic-box' }],
});

const { shape: listQuery } = orderListQuerySchema;
const orderListQuery = orderListQuerySchema.extend({
  user_id: listQuery.user_id.meta({ description: "Only this user's orders." }),
  status: listQuery.status.meta({ description: 'Only orders in this status.' }),
  limit: listQuery.limit.meta({
    description: `Orders per page, 1 to ${MAX_PAGE_SIZE}; ${DEFAULT_PAGE_SIZE} when absent.`,
    examples: ['20'],
  }),
  cursor: listQuery.cursor.meta({
    description: "Where to continue: a previous page's `next_cursor`, as it was given.",
  }),
});

const orderReadQuery = orderReadQuerySchema.extend({
  include: orderReadQuerySchema.shape.include.meta({
    description: "`history`: add the order's lookups and state changes (`history`).",
  }),
});

const orderId = orderIdSchema.meta({ description: "The order's id, from its Location." });

/**
 * With AUTH_MODE=jwt or api-key every order operation needs a bearer token; with none (the
 * default, for local use) it needs nothing: hence the empty alternative.
 */
const security: Record<string, string[]>[] = [{ bearerAuth: [] }, {}];

export function orderOperations(): ZodOpenApiPathsObject {
  const problems = problemExamples();
  const unavailable = unavailableResponse([
    problems.storeUnavailable,
    problems.shuttingDown,
    problems.overloaded,
    problems.authenticationUnavailable,
  ]);
  const unauthenticated = problemResponse(
    'No bearer token, or one that is expired, for another audience or issuer, or not signed ' +
      'by a trusted key (authentication on).',
    [problems.unauthenticated],
    { headers: { 'WWW-Authenticate': wwwAuthenticateHeader } },
  );
  const readScope = problemResponse(
    `The token lacks ${SCOPES.read} or ${SCOPES.readAny}.`,
    [problems.insufficientScope],
    { headers: { 'WWW-Authenticate': wwwAuthenticateHeader } },
  );
  return {
    '/orders': {
      post: {
        operationId: 'createOrder',
        tags: ['Orders'],
        security,
        summary: 'Accept an order',
        description:
          'Stores the order as PENDING and answers at once with 202; a worker then looks up ' +
          'the user and the product and makes it CONFIRMED (publishing a `created_order` ' +
          'event) or FAILED (publishing a `failed_order` event). Follow it with ' +
          'GET /orders/{id}, optionally with `Prefer: wait`.',
        requestParams: {
          header: z.object({
            'Idempotency-Key': idempotencyKeyHeader,
            'X-Request-Id': requestIdHeader,
          }),
        },
        requestBody: {
          required: true,
          content: { 'application/json': { schema: orderRequest } },
        },
        responses: {
          '202': jsonResponse(
            'Accepted: the order, PENDING (or as it is now, if replayed).',
            orderResourceSchema,
            {
              headers: {
                Location: locationHeader,
                'Idempotent-Replayed': idempotentReplayedHeader,
              },
            },
          ),
          '400': problemResponse(
            'The body is not JSON, breaks a rule (`errors` names each), or the ' +
              'Idempotency-Key is malformed. Nothing was stored.',
            [problems.invalidOrder, problems.malformedRequest, problems.invalidIdempotencyKey],
            { schema: validationProblemSchema },
          ),
          '413': problemResponse('The body is larger than allowed.', [problems.payloadTooLarge]),
          '415': problemResponse(
            'The body is not `application/json`.',
            [problems.unsupportedMediaType],
            { headers: { 'Accept-Post': acceptPostHeader } },
          ),
          '401': unauthenticated,
          '403': problemResponse(
            `The token lacks ${SCOPES.write}, or the order is for another user and it lacks ` +
              `${SCOPES.writeAny}.`,
            [problems.insufficientScope, problems.orderForAnotherUser],
            { headers: { 'WWW-Authenticate': wwwAuthenticateHeader.optional() } },
          ),
          '422': problemResponse(
            'The Idempotency-Key was first used with a different order. Nothing was stored.',
            [problems.idempotencyKeyReused],
          ),
          '503': problemResponse(
            'The service cannot take the order now (its store is unreachable, or this instance ' +
              'is shutting down); retry after Retry-After seconds. Nothing was stored, unless ' +
              'the problem names an `order_id`: then the store did not confirm the write in ' +
              'time, the order may exist, and `GET /orders/{order_id}` tells.',
            [
              problems.acceptOutcomeUnknown,
              problems.storeUnavailable,
              problems.shuttingDown,
              problems.overloaded,
              problems.authenticationUnavailable,
            ],
            { headers: { 'Retry-After': retryAfterHeader } },
          ),
        },
      },
      get: {
        operationId: 'listOrders',
        tags: ['Orders'],
        security,
        summary: 'List orders',
        description:
          'Newest first, one page at a time; follow `next_cursor` (or the `Link` header). ' +
          'Unknown or repeated query parameters are refused with 400.',
        requestParams: { query: orderListQuery },
        responses: {
          '200': jsonResponse('A page of orders.', orderPageSchema, {
            headers: { Link: nextPageLinkHeader },
          }),
          '400': problemResponse(
            'A query parameter breaks a rule, is unknown or is repeated (`errors` names each).',
            [problems.invalidQuery],
            { schema: validationProblemSchema },
          ),
          '401': unauthenticated,
          '403': readScope,
          '503': unavailable,
        },
      },
    },
    '/orders/{id}': {
      get: {
        operationId: 'getOrder',
        tags: ['Orders'],
        security,
        summary: 'Read an order',
        description:
          'The order as it is now. With `Prefer: wait=N` a PENDING order is answered as soon ' +
          'as it becomes CONFIRMED or FAILED, or after N seconds as it is then. With ' +
          '`include=history` it comes with its lookups and state changes. Unknown or ' +
          'repeated query parameters are refused with 400.',
        requestParams: {
          path: z.object({ id: orderId }),
          query: orderReadQuery,
          header: z.object({ Prefer: preferHeader }),
        },
        responses: {
          '200': jsonResponse('The order.', orderResourceSchema, {
            headers: { 'Preference-Applied': preferenceAppliedHeader, Vary: varyHeader },
          }),
          '400': problemResponse(
            'A query parameter is not `include=history`, is unknown or is repeated.',
            [problems.invalidQuery],
            { schema: validationProblemSchema },
          ),
          '401': unauthenticated,
          '403': readScope,
          '404': problemResponse(
            "No order has this id (or it is not an id at all), or it is another user's and the " +
              `token lacks ${SCOPES.readAny}.`,
            [problems.orderNotFound],
          ),
          '503': unavailable,
        },
      },
    },
  };
}
