import {
  UNAUTHENTICATED,
  AUTHENTICATION_UNAVAILABLE,
  insufficientScope,
} from '../auth/authenticate.js';
import { SCOPES } from '../auth/access-rules.js';
import { problem } from '../http/problem.js';
import { INVALID_IDEMPOTENCY_KEY } from '../orders/idempotency-key.js';
import {
  KEY_REUSED,
  ORDER_FOR_ANOTHER_USER,
  ORDER_NOT_FOUND,
  acceptOutcomeUnknown,
} from '../orders/order-routes.js';
import { STOPPING } from '../http/refuse-when-stopping.js';
import { PROBLEMS } from '../http/problem-responses.js';
import { OVERLOADED } from '../http/shed-load.js';

/**
 * Example problem documents for the OpenAPI document: the very ones the code answers with,
 * imported from where they are thrown. Only the validation problems are samples, since their
 * text depends on the input.
 */
export function problemExamples() {
  return {
    ...PROBLEMS,
    invalidOrder: problem({
      status: 400,
      slug: 'invalid-order',
      title: 'Invalid order request',
      detail: 'product_code: Too big: expected string to have <=64 characters',
      extensions: {
        errors: [
          {
            field: 'product_code',
            rule: 'too_big',
            message: 'Too big: expected string to have <=64 characters',
          },
        ],
      },
    }),
    invalidQuery: problem({
      status: 400,
      slug: 'invalid-query',
      title: 'Invalid query',
      detail: 'limit: Too big',
      extensions: {
        errors: [
          {
            field: 'limit',
            rule: 'too_big',
            message: 'Too big: expected number to be <=100',
          },
        ],
      },
    }),
    invalidIdempotencyKey: INVALID_IDEMPOTENCY_KEY,
    idempotencyKeyReused: KEY_REUSED,
    orderNotFound: ORDER_NOT_FOUND,
    overloaded: OVERLOADED,
    unauthenticated: UNAUTHENTICATED,
    authenticationUnavailable: AUTHENTICATION_UNAVAILABLE,
    insufficientScope: insufficientScope(SCOPES.read).problem,
    orderForAnotherUser: ORDER_FOR_ANOTHER_USER,
    shuttingDown: STOPPING,
    acceptOutcomeUnknown: acceptOutcomeUnknown('5b0c2a9e-8d53-4a49-9d8e-3c4b1f6e7a21'),
  };
}
