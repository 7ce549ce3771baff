import {
  redriveRefusal,
  redrivenOrder,
  type RedriveRefusal,
} from '../../shared/domain/order-lifecycle.js';
import type { Order } from '../../shared/domain/order.js';
import type { Logger } from '../../shared/observability/logger.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';
import type { OrderQueue } from '../../shared/queue/order-queue.js';
import { handOverToWorker } from '../orders/hand-over-to-worker.js';

export interface RedriveDependencies {
  orders: OrderRepository;
  queue: OrderQueue;
  clock: () => Date;
  /** Told of each re-drive, with the failure code the order had. */
  onRedriven: (failureCode: string) => void;
  logger: Logger;
}

/** How one re-drive went: the order as it left it, or why it did not happen. */
export type RedriveResult =
  { redriven: true; order: Order } | { redriven: false; refusal: RedriveRefusal | 'changed' };

/**
 * Re-drives one FAILED order as read: may it go back (redriveRefusal) → store it PENDING in
 * its next generation, if it is still as read → tell of the re-drive → queue the generation's
 * job. A job Redis refuses is queued by the worker's recovery sweep, as for a new order.
 */
export function createRedriveOne(deps: RedriveDependencies) {
  return async function redriveOne(order: Order, operator: string): Promise<RedriveResult> {
    const refusal = redriveRefusal(order);
    if (refusal !== null) return { redriven: false, refusal };
    const redriven = redrivenOrder(order, deps.clock(), operator);
    // Another operator (or a replay) re-drove it since it was read.
    if (!(await deps.orders.saveRedriven(redriven))) return { redriven: false, refusal: 'changed' };
    tellOfRedrive(deps, { failed: order, redriven, operator });
    await handOverToWorker(deps.queue, redriven, deps.logger);
    return { redriven: true, order: redriven };
  };
}

export type RedriveOne = ReturnType<typeof createRedriveOne>;

/** Counts the re-drive under the failure code the order had, and logs its change of state. */
function tellOfRedrive(
  deps: Pick<RedriveDependencies, 'onRedriven' | 'logger'>,
  { failed, redriven, operator }: { failed: Order; redriven: Order; operator: string },
): void {
  const failureCode = failed.failure?.code ?? 'unknown';
  deps.onRedriven(failureCode);
  deps.logger.info(
    {
      orderId: failed.id,
      requestId: failed.request_id,
      from: 'FAILED',
      to: 'PENDING',
      failureCode,
      generation: redriven.generation,
      operator,
    },
    'order state changed',
  );
}
