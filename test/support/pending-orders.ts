import { randomUUID } from 'node:crypto';
import { newPendingOrder } from '../../src/shared/domain/order-lifecycle.js';
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
