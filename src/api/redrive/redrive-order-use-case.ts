import { createHash } from 'node:crypto';
import type { RedriveRefusal } from '../../shared/domain/order-lifecycle.js';
import type { Order } from '../../shared/domain/order.js';
import type { IdempotencyStore } from '../../shared/persistence/idempotency-store.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';
import type { RedriveOne } from './redrive-one.js';

export interface RedriveOrderDependencies {
  orders: OrderRepository;
  redriveOne: RedriveOne;
  idempotencyKeys: IdempotencyStore;
  idempotencyKeyTtlMs: number;
  clock: () => Date;
}

export type RedriveOrderResult =
  | { outcome: 'redriven'; order: Order; replayed: boolean }
  | { outcome: 'not-found' }
  | { outcome: 'refused'; refusal: RedriveRefusal | 'changed'; order: Order }
  | { outcome: 'key-reused' };

const fingerprintOf = (orderId: string) =>
  createHash('sha256')
    .update(JSON.stringify(['redrive', orderId]))
    .digest('hex');

/**
 * An operator's re-drive of one order: read it → (with an Idempotency-Key: the key names the
 * generation this re-drive makes; a replay whose order has reached it only reads it) → take
 * it from FAILED back to PENDING with a fresh job. Without a key, a second request finds the
 * order PENDING and is refused: either way one request re-drives once.
 */
export function createRedriveOrderUseCase(deps: RedriveOrderDependencies) {
  const { orders, redriveOne } = deps;

  async function redriveFrom(order: Order, operator: string): Promise<RedriveOrderResult> {
    const result = await redriveOne(order, operator);
    if (result.redriven) return { outcome: 'redriven', order: result.order, replayed: false };
    if (result.refusal !== 'changed') return { outcome: 'refused', refusal: result.refusal, order };
    // Another write took it since it was read: tell of the order as it is now.
    const now = await orders.findById(order.id);
    return now === null
      ? { outcome: 'not-found' }
      : { outcome: 'refused', refusal: 'changed', order: now };
  }

  return async function redriveOrder(
    id: string,
    request: { operator: string; idempotencyKey?: string | undefined },
  ): Promise<RedriveOrderResult> {
    const order = await orders.findById(id);
    if (order === null) return { outcome: 'not-found' };
    if (request.idempotencyKey === undefined) return redriveFrom(order, request.operator);

    const now = deps.clock();
    const { record, fresh } = await deps.idempotencyKeys.remember({
      key: request.idempotencyKey,
      fingerprint: fingerprintOf(id),
      order_id: id,
      outcome: { generation: order.generation + 1 },
      created_at: now,
      expires_at: new Date(now.getTime() + deps.idempotencyKeyTtlMs),
    });
    if (record.fingerprint !== fingerprintOf(id)) return { outcome: 'key-reused' };
    const generation = record.outcome?.generation ?? order.generation + 1;
    if (!fresh && order.generation >= generation)
      return { outcome: 'redriven', order, replayed: true };
    // The key's first request stopped before its write, or was refused: this one tries again,
    // into the same generation only.
    if (order.generation !== generation - 1)
      return { outcome: 'refused', refusal: 'changed', order };
    const result = await redriveFrom(order, request.operator);
    // A concurrent request with this key made the generation first: this one is its replay.
    if (result.outcome === 'refused' && result.order.generation >= generation)
      return { outcome: 'redriven', order: result.order, replayed: true };
    return result;
  };
}

export type RedriveOrder = ReturnType<typeof createRedriveOrderUseCase>;
