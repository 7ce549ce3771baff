import type { RedriveRefusal } from '../../shared/domain/order-lifecycle.js';
import type { Order } from '../../shared/domain/order.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';
import { redriveFingerprint } from '../idempotency/request-identity.js';
import type { Claim, RunOnce } from '../idempotency/run-once.js';
import type { RedriveOne } from './redrive-one.js';

export interface RedriveOrderDependencies {
  orders: OrderRepository;
  redriveOne: RedriveOne;
  /** Runs a request sent with an Idempotency-Key once under its key. */
  runOnce: RunOnce;
  clock: () => Date;
}

export type RedriveOrderResult =
  | { outcome: 'redriven'; order: Order; replayed: boolean }
  | { outcome: 'not-found' }
  | { outcome: 'refused'; refusal: RedriveRefusal | 'changed'; order: Order };

/**
 * An operator's re-drive of one order: read it → (with an Idempotency-Key: run once under the
 * key, which names the generation this re-drive makes; a repeat whose order has reached it
 * only reads it) → take it from FAILED back to PENDING with a fresh job. Without a key, a
 * second request finds the order PENDING and is refused: either way one request re-drives
 * once.
 */
export function createRedriveOrderUseCase(deps: RedriveOrderDependencies) {
  const { runOnce } = deps;
  return async function redriveOrder(
    id: string,
    request: { operator: string; idempotencyKey?: string | undefined },
  ): Promise<RedriveOrderResult> {
    const order = await deps.orders.findById(id);
    if (order === null) return { outcome: 'not-found' };
    if (request.idempotencyKey === undefined) return redriveAsRead(deps, order, request.operator);
    return runOnce<RedriveOrderResult>({
      key: request.idempotencyKey,
      fingerprint: redriveFingerprint(id),
      now: deps.clock(),
      plan: { order_id: id, outcome: { generation: order.generation + 1 } },
      replay: (claim) =>
        order.generation >= plannedGeneration(claim, order)
          ? { outcome: 'redriven', order, replayed: true }
          : null,
      run: (claim) =>
        redriveInto(deps, {
          order,
          generation: plannedGeneration(claim, order),
          operator: request.operator,
        }),
    });
  };
}

export type RedriveOrder = ReturnType<typeof createRedriveOrderUseCase>;

type RedriveSteps = Pick<RedriveOrderDependencies, 'orders' | 'redriveOne'>;

/** The generation the key's first request set out to make. */
function plannedGeneration({ record }: Claim, order: Order): number {
  return record.outcome?.generation ?? order.generation + 1;
}

/**
 * Re-drives into the key's generation and no other: a repeat whose first request stopped
 * before its write, or was refused, tries again, but never takes the order a step further.
 */
async function redriveInto(
  deps: RedriveSteps,
  { order, generation, operator }: { order: Order; generation: number; operator: string },
): Promise<RedriveOrderResult> {
  if (order.generation !== generation - 1) return { outcome: 'refused', refusal: 'changed', order };
  const result = await redriveAsRead(deps, order, operator);
  // A concurrent request with this key made the generation first: this one is its replay.
  if (result.outcome === 'refused' && result.order.generation >= generation)
    return { outcome: 'redriven', order: result.order, replayed: true };
  return result;
}

async function redriveAsRead(
  deps: RedriveSteps,
  order: Order,
  operator: string,
): Promise<RedriveOrderResult> {
  const result = await deps.redriveOne(order, operator);
  if (result.redriven) return { outcome: 'redriven', order: result.order, replayed: false };
  if (result.refusal !== 'changed') return { outcome: 'refused', refusal: result.refusal, order };
  // Another write took it since it was read: tell of the order as it is now.
  const now = await deps.orders.findById(order.id);
  return now === null
    ? { outcome: 'not-found' }
    : { outcome: 'refused', refusal: 'changed', order: now };
}
