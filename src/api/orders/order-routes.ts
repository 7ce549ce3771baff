import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { ServerResponse } from 'node:http';
import type { ApiMetrics } from '../api-metrics.js';
import {
  SCOPES,
  mayCreateOrderFor,
  mayCreateOrders,
  mayRead,
  mayReadOrders,
  maySeeOperators,
  visibleUserFilter,
  type Principal,
} from '../auth/access-rules.js';
import { authenticate, insufficientScope } from '../auth/authenticate.js';
import type { Authenticator } from '../auth/authenticator.js';
import { preferredWaitSeconds } from '../http/prefer-wait.js';
import { ProblemError, problem, type Problem } from '../http/problem.js';
import { STORE_RETRY_AFTER_SECONDS } from '../http/problem-responses.js';
import type { RequestState } from '../http/request-context.js';
import { requireJson } from '../http/require-json.js';
import { scopedKey } from '../idempotency/request-identity.js';
import { IdempotencyKeyReusedError } from '../idempotency/run-once.js';
import { AcceptOutcomeUnknownError, type AcceptOrder } from './accept-order-use-case.js';
import type { GetOrder } from './get-order-use-case.js';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from './idempotency-key.js';
import type { ListOrders } from './list-orders-use-case.js';
import { parseOrderListQuery } from './order-list-query.js';
import { parseOrderReadQuery } from './order-read-query.js';
import { parseOrderRequest } from './order-request.js';
import {
  acceptedOrderResource,
  orderIdSchema,
  orderLocation,
  orderResource,
  type OrderPageResource,
} from './order-resource.js';

export interface OrderRoutesDependencies {
  acceptOrder: AcceptOrder;
  getOrder: GetOrder;
  listOrders: ListOrders;
  bodyLimitBytes: number;
  metrics: ApiMetrics;
  /** Null when authentication is off (AUTH_MODE=none). */
  authenticator: Authenticator | null;
}

type OrderRouteState = RequestState & { principal: Principal };

export const KEY_REUSED = problem({
  status: 422,
  slug: 'idempotency-key-reused',
  title: 'Idempotency-Key reused',
  detail:
    'This Idempotency-Key was first sent with a different order; use a new key for a new order.',
});

export const ORDER_NOT_FOUND = problem({
  status: 404,
  slug: 'order-not-found',
  title: 'Order not found',
  detail: 'There is no order with this id.',
});

export const ORDER_FOR_ANOTHER_USER = problem({
  status: 403,
  slug: 'order-for-another-user',
  title: 'Order for another user',
  detail: `Orders may be placed only for your own user_id, unless you hold ${SCOPES.writeAny}.`,
});

/** The store did not answer the insert: the order may exist, and the client learns its id. */
export function acceptOutcomeUnknown(orderId: string): Problem {
  return problem({
    status: 503,
    slug: 'store-unavailable',
    title: 'Service unavailable',
    detail:
      `The order store did not confirm the write in time, so the order may have been stored. ` +
      `GET /orders/${orderId} tells once the store is back: if it was stored it is processed ` +
      `as usual; if that answers 404, send the order again. Orders sent with an ` +
      `Idempotency-Key can simply be sent again.`,
    extensions: { order_id: orderId },
  });
}

const CLIENT_GONE = new Error('the client went away');

/**
 * Aborts when the response closes before it was written: the client went away, so a wait for
 * it can stop. (A constant reason: abort() without one builds a DOMException each time.)
 */
function clientGoneSignal(response: ServerResponse): AbortSignal {
  const clientGone = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) clientGone.abort(CLIENT_GONE);
  });
  return clientGone.signal;
}

export function orderRoutes(deps: OrderRoutesDependencies): Router<OrderRouteState> {
  const router = new Router<OrderRouteState>();
  router.use(authenticate(deps.authenticator));
  const jsonBody = bodyParser({
    enableTypes: ['json'],
    jsonLimit: deps.bodyLimitBytes,
    jsonStrict: true,
  });

  router.post('/orders', requireJson(), jsonBody, async (ctx) => {
    const { principal } = ctx.state;
    if (!mayCreateOrders(principal)) throw insufficientScope(SCOPES.write);
    const key = parseIdempotencyKey(ctx.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()]);
    const request = parseOrderRequest(ctx.request.body);
    if (!mayCreateOrderFor(principal, request.user_id))
      throw new ProblemError(ORDER_FOR_ANOTHER_USER);
    const idempotencyKey =
      key === undefined ? undefined : scopedKey({ client: principal.clientId }, key);
    const { order, replayed } = await deps
      .acceptOrder(request, { requestId: ctx.state.requestId, idempotencyKey })
      .catch((error: unknown) => {
        if (error instanceof IdempotencyKeyReusedError) throw new ProblemError(KEY_REUSED);
        if (error instanceof AcceptOutcomeUnknownError)
          throw new ProblemError(acceptOutcomeUnknown(error.orderId), {
            'Retry-After': String(STORE_RETRY_AFTER_SECONDS),
          });
        throw error;
      });
    if (!replayed) deps.metrics.orderAccepted();
    ctx.status = 202;
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.set('Location', orderLocation(order));
    ctx.body =
      replayed && !mayRead(principal, order) ? acceptedOrderResource(order) : orderResource(order);
  });

  router.get('/orders', async (ctx) => {
    const { principal } = ctx.state;
    if (!mayReadOrders(principal)) throw insufficientScope(SCOPES.read);
    const query = parseOrderListQuery(ctx.query);
    const visible = visibleUserFilter(principal, query.userId);
    const { orders, nextCursor } =
      visible === null
        ? { orders: [], nextCursor: null }
        : await deps.listOrders({
            status: query.status,
            after: query.after,
            limit: query.limit,
            ...visible,
          });
    if (nextCursor !== null) {
      const next = new URLSearchParams(
        Object.entries(ctx.query).flatMap(([name, value]) =>
          typeof value === 'string' && name !== 'cursor' ? [[name, value] as [string, string]] : [],
        ),
      );
      next.set('cursor', nextCursor);
      ctx.set('Link', `</orders?${next.toString()}>; rel="next"`);
    }
    ctx.body = {
      items: orders.map((order) => orderResource(order)),
      next_cursor: nextCursor,
    } satisfies OrderPageResource;
  });

  router.get('/orders/:id', async (ctx) => {
    const { principal } = ctx.state;
    if (!mayReadOrders(principal)) throw insufficientScope(SCOPES.read);
    const include = parseOrderReadQuery(ctx.query);
    const id = orderIdSchema.safeParse(ctx.params.id);
    // An id we could never have issued is as unknown as a missing one.
    if (!id.success) throw new ProblemError(ORDER_NOT_FOUND);
    const waitSeconds = preferredWaitSeconds(ctx.headers.prefer);
    const { order, waited } = await deps.getOrder(id.data, {
      waitMs: (waitSeconds ?? 0) * 1000,
      ...(waitSeconds === undefined ? {} : { signal: clientGoneSignal(ctx.res) }),
      // Someone else's order is as unknown as a missing one: 404, and no wait either.
      visible: (found) => mayRead(principal, found),
    });
    // The answer depends on Prefer, whether it was sent or not: caches must key on it.
    ctx.vary('Prefer');
    if (order === null) throw new ProblemError(ORDER_NOT_FOUND);
    // Past the instance's cap on waiting requests the answer comes at once, as RFC 7240 allows.
    if (waitSeconds !== undefined && waited) ctx.set('Preference-Applied', `wait=${waitSeconds}`);
    ctx.body = orderResource(order, { ...include, operators: maySeeOperators(principal) });
  });

  return router;
}
