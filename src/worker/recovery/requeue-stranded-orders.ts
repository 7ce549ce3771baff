import type { Logger } from '../../shared/observability/logger.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';
import type { OrderQueue } from '../../shared/queue/order-queue.js';

export interface RequeueDependencies {
  orders: OrderRepository;
  queue: OrderQueue;
  /** Orders PENDING for longer than this are checked for a job. */
  staleAfterMs: number;
  batchSize: number;
  clock: () => Date;
  logger: Logger;
}

/**
 * The API answers 202 once an order is stored, even when Redis refused the job. This sweep
 * finds PENDING orders old enough to have been picked up and adds their job again. The job
 * id is the order id, so an order whose job still exists (waiting, delayed, active, or kept
 * after failing) keeps that job: only an order that never got one gets a new one.
 */
export function createRequeueStrandedOrders(deps: RequeueDependencies) {
  return async function requeueStrandedOrders(): Promise<number> {
    const acceptedBefore = new Date(deps.clock().getTime() - deps.staleAfterMs);
    const ids = await deps.orders.findPendingAcceptedBefore(acceptedBefore, deps.batchSize);
    for (const id of ids) await deps.queue.enqueue(id);
    if (ids.length > 0)
      deps.logger.info({ checked: ids.length }, 'stale PENDING orders checked for a job');
    return ids.length;
  };
}
