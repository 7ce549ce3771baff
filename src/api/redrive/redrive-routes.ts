import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { sameOriginOnly } from '../admin/same-origin-only.js';
import { ProblemError, problem } from '../http/problem.js';
import { requireJson } from '../http/require-json.js';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from '../orders/idempotency-key.js';
import { orderIdSchema, orderLocation, orderResource } from '../orders/order-resource.js';
import { ORDER_NOT_FOUND } from '../orders/order-routes.js';
import type { OperatorState } from './authenticate-operator.js';
import { parseBulkRedriveRequest } from './bulk-redrive-request.js';
import type { RedriveFailedOrders } from './redrive-failed-orders-use-case.js';
import type { RedriveOrder } from './redrive-order-use-case.js';

export interface RedriveRoutesDependencies {
  redriveOrder: RedriveOrder;
  redriveFailedOrders: RedriveFailedOrders;
  /** authenticateOperator's middleware. */
  operator: Middleware<OperatorState>;
}

export const ORDER_NOT_FAILED = problem(
  409,
  'order-not-failed',
  'Order not FAILED',
  'Only a FAILED order can be re-driven; this one is PENDING (still being processed) or CONFIRMED.',
);

export const FAILURE_EVENT_WAITING = problem(
  409,
  'failure-event-waiting',
  'Failure event not yet published',
  "This order's failed_order event has not reached the broker yet; re-drive it once it has.",
);

export const ORDER_CHANGED = problem(
  409,
  'order-changed',
  'Order changed',
  'The order changed while it was being re-driven (another re-drive took it); read it again.',
);

export const REDRIVE_KEY_REUSED = problem(
  422,
  'idempotency-key-reused',
  'Idempotency-Key reused',
  'This Idempotency-Key was first sent with a different re-drive; use a new key.',
);

const REFUSALS = {
  'not-failed': ORDER_NOT_FAILED,
  'event-waiting': FAILURE_EVENT_WAITING,
  changed: ORDER_CHANGED,
} as const;

/** Keys of operators live apart from those of clients: one cannot replay the other's. */
const operatorKey = (operator: string, key: string) => `operator ${operator} ${key}`;

/** The operators' re-drives of FAILED orders, single and in bulk, behind `operator`. */
export function redriveRoutes(deps: RedriveRoutesDependencies): Router<OperatorState> {
  const router = new Router<OperatorState>();
  // A browser that signed in at the queue board sends its Basic credentials along with a form
  // another site submits: re-drives are refused unless they come from this origin, as the
  // board's own changes are, and before any sign-in is counted.
  const fromHere = sameOriginOnly();
  const jsonBody = bodyParser({ enableTypes: ['json'], jsonLimit: 4096, jsonStrict: true });
  const keyOf = (
    ctx: { headers: Record<string, string | string[] | undefined> },
    operator: string,
  ) => {
    const key = parseIdempotencyKey(ctx.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()]);
    return key === undefined ? undefined : operatorKey(operator, key);
  };

  router.post(
    '/admin/orders/retry',
    fromHere,
    deps.operator,
    requireJson(),
    jsonBody,
    async (ctx) => {
      const { operator } = ctx.state;
      const idempotencyKey = keyOf(ctx, operator);
      const query = parseBulkRedriveRequest(ctx.request.body);
      const result = await deps.redriveFailedOrders(query, { operator, idempotencyKey });
      if (result.outcome === 'key-reused') throw new ProblemError(REDRIVE_KEY_REUSED);
      if (result.replayed) ctx.set('Idempotent-Replayed', 'true');
      ctx.status = 200;
      ctx.body = result.counts;
    },
  );

  router.post('/admin/orders/:id/retry', fromHere, deps.operator, async (ctx) => {
    const { operator } = ctx.state;
    const idempotencyKey = keyOf(ctx, operator);
    const id = orderIdSchema.safeParse(ctx.params.id);
    if (!id.success) throw new ProblemError(ORDER_NOT_FOUND);
    const result = await deps.redriveOrder(id.data, { operator, idempotencyKey });
    switch (result.outcome) {
      case 'not-found':
        throw new ProblemError(ORDER_NOT_FOUND);
      case 'key-reused':
        throw new ProblemError(REDRIVE_KEY_REUSED);
      case 'refused':
        throw new ProblemError({ ...REFUSALS[result.refusal], order_status: result.order.status });
      case 'redriven':
        if (result.replayed) ctx.set('Idempotent-Replayed', 'true');
        ctx.status = 202;
        ctx.set('Location', orderLocation(result.order));
        ctx.body = orderResource(result.order);
    }
  });

  return router;
}
