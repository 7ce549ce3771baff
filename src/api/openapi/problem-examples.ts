import {
  UNAUTHENTICATED,
  AUTHENTICATION_UNAVAILABLE,
  insufficientScope,
} from '../auth/authenticate.js';
import { SCOPES } from '../auth/access-rules.js';
import { problem } from '../http/problem.js';
import { ORDER_FOR_ANOTHER_USER } from '../orders/order-routes.js';
import { PROBLEMS } from '../http/problem-responses.js';
import { OVERLOADED } from '../http/shed-load.js';

/**
 * Example problem documents for the OpenAPI document. The shared ones are the code's own
 * (PROBLEMS); the rest live unexported next to the code that throws them, so they are
 * restated here as examples only: the conformance test checks real answers against the
 * schemas, not against these texts.
 */
export function problemExamples() {
  return {
    ...PROBLEMS,
    invalidOrder: problem(
      400,
      'invalid-order',
      'Invalid order request',
      'product_code: Too big: expected string to have <=64 characters',
      {
        errors: [
          {
            field: 'product_code',
            rule: 'too_big',
            message: 'Too big: expected string to have <=64 characters',
          },
        ],
      },
    ),
    invalidQuery: problem(400, 'invalid-query', 'Invalid query', 'limit: Too big', {
      errors: [
        {
          field: 'limit',
          rule: 'too_big',
          message: 'Too big: expected number to be <=100',
        },
      ],
    }),
    invalidIdempotencyKey: problem(
      400,
      'invalid-idempotency-key',
      'Invalid Idempotency-Key',
      'Send one Idempotency-Key of 1 to 255 visible ASCII characters (a UUID works well).',
    ),
    idempotencyKeyReused: problem(
      422,
      'idempotency-key-reused',
      'Idempotency-Key reused',
      'This Idempotency-Key was first sent with a different order; use a new key for a new order.',
    ),
    orderNotFound: problem(
      404,
      'order-not-found',
      'Order not found',
      'There is no order with this id.',
    ),
    overloaded: OVERLOADED,
    unauthenticated: UNAUTHENTICATED,
    authenticationUnavailable: AUTHENTICATION_UNAVAILABLE,
    insufficientScope: insufficientScope(SCOPES.read).problem,
    orderForAnotherUser: ORDER_FOR_ANOTHER_USER,
    shuttingDown: problem(
      503,
      'shutting-down',
      'Service unavailable',
      'This instance is shutting down; send the request again (another instance will take it).',
    ),
  };
}
