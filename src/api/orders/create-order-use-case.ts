import { newPendingOrder } from '../../shared/domain/order-lifecycle.js';
import type { Order } from '../../shared/domain/order.js';
import type { Logger } from '../../shared/observability/logger.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';
import type { OrderQueue } from '../../shared/queue/order-queue.js';
import type { OrderRequest } from './order-request.js';

export interface CreateOrderDependencies {
  orders: OrderRepository;
  queue: OrderQueue;
  newId: () => string;
  clock: () => Date;
  logger: Logger;
}

/**
 * Accepts an order: store it as PENDING → hand it to the worker. The slow part (the user
 * and product services) happens later, in the worker.
 */
export function createCreateOrderUseCase(deps: CreateOrderDependencies) {
  const { orders, queue, logger } = deps;

  async function handOverToWorker(order: Order): Promise<void> {
    try {
      await queue.enqueue(order.id);
    } catch (error) {
      // The order is stored, so the client still gets its 202: the worker's recovery sweep
      // queues PENDING orders that have no job.
      logger.warn(
        { err: error, orderId: order.id },
        'order stored but not queued; the recovery sweep will queue it',
      );
    }
  }

  return async function createOrder(request: OrderRequest): Promise<Order> {
    const order = newPendingOrder({ id: deps.newId(), ...request }, deps.clock());
    await orders.insert(order);
    logger.info({ orderId: order.id, status: order.status }, 'order accepted');
    await handOverToWorker(order);
    return order;
  };
}

export type CreateOrder = ReturnType<typeof createCreateOrderUseCase>;
