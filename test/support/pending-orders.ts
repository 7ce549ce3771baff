import { randomUUID } from 'node:crypto';
import { newPendingOrder, redrivenOrder } from '../../src/shared/domain/order-lifecycle.js';
import type { Order } from '../../src/shared/domain/order.js';
import type { OrderRepository } from '../../src/shared/persistence/order-repository.js';
import type { OrderAttempt } from '../../src/worker/orders/order-attempt.js';

/** A PENDING order stored as the API stores one, accepted at `createdAt`. */
export async function storePendingOrder(
  orders: OrderRepository,
  user_id: string,
  product_code: string,
  createdAt = new Date(),
): Promise<Order> {
  const order = newPendingOrder(
    { id: randomUUID(), user_id, product_code, request_id: `request-${randomUUID()}` },
    createdAt,
  );
  await orders.insert(order);
  return order;
}

/**
 * An order stored as the API stores one, FAILED with PRODUCT_SERVICE_ERROR (no event waits),
 * then re-driven by an operator into generation 1, as the re-drive stores it.
 */
export async function storeRedrivenOrder(
  orders: OrderRepository,
  user_id: string,
  product_code: string,
  createdAt?: Date,
): Promise<Order> {
  const order = await storePendingOrder(orders, user_id, product_code, createdAt);
  const failure = { code: 'PRODUCT_SERVICE_ERROR', message: 'HTTP 500' };
  const failed = await orders.settle(order.id, { status: 'FAILED', failure }, { now: new Date() });
  const redriven = redrivenOrder(failed.order, new Date(), 'ops');
  if (!(await orders.saveRedriven(redriven))) throw new Error('the re-drive was not stored');
  return redriven;
}

/** Attempt `number` of a job that carries no order and nothing known yet. */
export function attemptOf(orderId: string, number = 1, isLast = false): OrderAttempt {
  return {
    orderId,
    accepted: null,
    number,
    isLast,
    generation: 0,
    known: {},
    earlier: [],
    remember: () => Promise.resolve(),
  };
}
