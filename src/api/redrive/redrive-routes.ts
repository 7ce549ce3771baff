import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { sameOriginOnly } from '../admin/same-origin-only.js';
import { ProblemError, problem } from '../http/problem.js';
import { requireJson } from '../http/require-json.js';
import { scopedKey } from '../idempotency/request-identity.js';
import { IdempotencyKeyReusedError } from '../idempotency/run-once.js';
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

export const ORDER_NOT_FAILED = problem({
  status: 409,
  slug: 'order-not-failed',
  title: 'Order not FAILED',
  detail:
    'Only a FAILED order can be re-driven; this one is PENDING (still being processed) or CONFIRMED.',
});

export const FAILURE_EVENT_WAITING = problem({
  status: 409,
  slug: 'failure-event-waiting',
  title: 'Failure event not yet published',
  detail:
    "This order's failed_order event has not reached the broker yet; re-drive it once it has.",
});

export const ORDER_CHANGED = problem({
  status: 409,
  slug: 'order-changed',
  title: 'Order changed',
  detail:
    'The order changed while it was being re-driven (another re-drive took it); read it again.',
});

export const REDRIVE_KEY_REUSED = problem({
  status: 422,
  slug: 'idempotency-key-reused',
  title: 'Idempotency-Key reused',
  detail: 'This Idempotency-Key was first sent with a different re-drive; use a new key.',
});

const REFUSALS = {
  'not-failed': ORDER_NOT_FAILED,
  'event-waiting': FAILURE_EVENT_WAITING,
  changed: ORDER_CHANGED,
} as const;

/** A key first sent with a different re-drive is the operator's mistake: 422, nothing done. */
function refuseReusedKey(error: unknown): never {
  if (error instanceof IdempotencyKeyReusedError) throw new ProblemError(REDRIVE_KEY_REUSED);
  throw error;
}

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
    return key === undefined ? undefined : scopedKey({ operator }, key);
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
      const result = await deps
        .redriveFailedOrders(query, { operator, idempotencyKey })
        .catch(refuseReusedKey);
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
    const result = await deps
      .redriveOrder(id.data, { operator, idempotencyKey })
      .catch(refuseReusedKey);
    switch (result.outcome) {
      case 'not-found':
        throw new ProblemError(ORDER_NOT_FOUND);
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
