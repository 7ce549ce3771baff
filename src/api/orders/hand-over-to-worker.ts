import type { Order } from '../../shared/domain/order.js';
import type { Logger } from '../../shared/observability/logger.js';
import type { OrderQueue } from '../../shared/queue/order-queue.js';

/**
 * Queues a stored PENDING order's job (its generation's, for a re-drive). A queue that
 * refuses it does not undo the answer: the worker's recovery sweep queues PENDING orders
 * that have no job.
 */
export async function handOverToWorker(
  queue: OrderQueue,
  order: Order,
  logger: Logger,
): Promise<void> {
  try {
    await queue.enqueue(order);
  } catch (error) {
    logger.warn(
      {
        err: error,
        orderId: order.id,
        requestId: order.request_id,
        ...(order.generation > 0 ? { generation: order.generation } : {}),
      },
      'order stored but not queued; the recovery sweep will queue it',
    );
  }
}
