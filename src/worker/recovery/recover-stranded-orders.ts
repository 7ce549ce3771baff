import { deadlineFailure, isPastDeadline } from '../../shared/domain/order-deadline.js';
import type { Order } from '../../shared/domain/order.js';
import type { Logger } from '../../shared/observability/logger.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';
import type { OrderQueue, QueueRepair } from '../../shared/queue/order-queue.js';

export interface RecoveryDependencies {
  orders: OrderRepository;
  queue: OrderQueue;
  /** Orders PENDING for longer than this are checked. */
  staleAfterMs: number;
  /** How long after acceptance an order may stay PENDING (ORDER_DEADLINE). */
  deadlineMs: number;
  batchSize: number;
  clock: () => Date;
  logger: Logger;
}

type Outcome = QueueRepair | 'expired';

/**
 * A PENDING order can be stranded: Redis refused its job at accept, Redis lost it, or its job
 * failed for good during an outage. This sweep finds PENDING orders old enough to have been
 * picked up and repairs each: past its deadline it is FAILED with DEADLINE_EXCEEDED;
 * otherwise its job is added, or run again if it had ended. A live job is left alone.
 * Every step is safe with several workers sweeping at once.
 */
export function createRecoverStrandedOrders(deps: RecoveryDependencies) {
  const { orders, queue, clock, logger } = deps;

  async function recover(
    order: Pick<Order, 'id' | 'created_at' | 'request_id'>,
    now: Date,
  ): Promise<Outcome> {
    if (!isPastDeadline(order, now, deps.deadlineMs)) return queue.ensureQueued(order);
    const failure = deadlineFailure(order, deps.deadlineMs);
    const result = await orders.settle(order.id, { status: 'FAILED', failure }, now);
    if (result?.won === true) {
      logger.warn(
        { orderId: order.id, requestId: order.request_id, from: 'PENDING', to: 'FAILED', failure },
        'order state changed',
      );
    }
    return 'expired';
  }

  return async function recoverStrandedOrders(): Promise<Record<Outcome, number>> {
    const now = clock();
    const stale = await orders.findPendingAcceptedBefore(
      new Date(now.getTime() - deps.staleAfterMs),
      deps.batchSize,
    );
    const counts: Record<Outcome, number> = { added: 0, retried: 0, present: 0, expired: 0 };
    for (const order of stale) counts[await recover(order, now)]++;
    if (counts.added + counts.retried + counts.expired > 0)
      logger.info({ ...counts }, 'stranded PENDING orders recovered');
    return counts;
  };
}
