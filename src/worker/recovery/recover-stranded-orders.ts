import { failedOrderEvent } from '../../shared/domain/failed-order-message.js';
import { deadlineFailure, isPastDeadline } from '../../shared/domain/order-deadline.js';
import { settledEntry } from '../../shared/domain/order-history.js';
import { settlementOf } from '../../shared/domain/order-lifecycle.js';
import type { Logger } from '../../shared/observability/logger.js';
import type {
  OrderPosition,
  OrderRepository,
  StalePendingOrder,
} from '../../shared/persistence/order-repository.js';
import type { OrderQueue, QueueRepair } from '../../shared/queue/order-queue.js';

export interface RecoveryDependencies {
  orders: OrderRepository;
  queue: OrderQueue;
  /** Orders PENDING for longer than this are checked. */
  staleAfterMs: number;
  /** How long after acceptance an order may stay PENDING (ORDER_DEADLINE). */
  deadlineMs: number;
  /** PENDING orders read per page. */
  batchSize: number;
  /** Pages one pass reads at most; the next pass goes on from where it stopped. */
  maxPages?: number;
  /** The `producer` of the `failed_order` events of the orders the sweep fails (EVENT_PRODUCER). */
  producer: string;
  newMessageId: () => string;
  clock: () => Date;
  logger: Logger;
}

type Outcome = QueueRepair | 'expired';

/** What a pass did, order by order; `error`: an order it could not repair this time. */
export type SweepCounts = Record<Outcome | 'error', number>;

/**
 * A PENDING order can be stranded: Redis refused its job at accept, Redis lost it, or its job
 * failed for good during an outage. This sweep finds PENDING orders old enough to have been
 * picked up and repairs each: past its deadline it is FAILED with DEADLINE_EXCEEDED (and its
 * `failed_order` event stored with it); otherwise its job is added, or run again if it had
 * ended. A live job is left alone. Every step is safe with several workers sweeping at once.
 *
 * A pass pages through every stale PENDING order, not just the oldest page: a burst of slow
 * orders with live jobs must not hide a stranded one behind it. Past `maxPages` it stops,
 * and the next pass resumes after the last order it saw, starting over once it reaches the
 * end, so any backlog is covered within a few passes at a bounded cost each.
 *
 * One order's error is that order's alone: it is logged and counted as an `error`, and the
 * pass goes on with the others; the next pass tries that order again.
 */
export function createRecoverStrandedOrders(deps: RecoveryDependencies) {
  const { orders, clock, logger } = deps;
  /** Where the last pass stopped when it had more to read; null: start from the oldest. */
  let resumeAfter: OrderPosition | null = null;

  return async function recoverStrandedOrders(): Promise<SweepCounts> {
    const now = clock();
    const acceptedBefore = new Date(now.getTime() - deps.staleAfterMs);
    const counts: SweepCounts = { added: 0, retried: 0, present: 0, expired: 0, error: 0 };
    let after = resumeAfter;
    resumeAfter = null;
    for (let page = 0; page < (deps.maxPages ?? DEFAULT_MAX_PAGES); page++) {
      const stale = await orders.findPendingAcceptedBefore(acceptedBefore, deps.batchSize, after);
      for (const order of stale) counts[await recoverOne(deps, order, now)]++;
      const last = stale.at(-1);
      if (stale.length < deps.batchSize || last === undefined) {
        after = null;
        break;
      }
      after = { created_at: last.created_at, id: last.id };
    }
    resumeAfter = after;
    if (counts.added + counts.retried + counts.expired > 0)
      logger.info({ ...counts }, 'stranded PENDING orders recovered');
    return counts;
  };
}

/** With pages of 500, a pass checks up to 10,000 PENDING orders. */
const DEFAULT_MAX_PAGES = 20;

/** An error ends this order's repair only: it is logged, and the pass goes on. */
async function recoverOne(
  deps: RecoveryDependencies,
  order: StalePendingOrder,
  now: Date,
): Promise<Outcome | 'error'> {
  try {
    return await recover(deps, order, now);
  } catch (error) {
    deps.logger.error(
      {
        err: error,
        orderId: order.id,
        requestId: order.request_id,
        generation: order.generation,
        pastDeadline: isPastDeadline(order, now, deps.deadlineMs),
      },
      'recovery sweep: order not repaired, the next pass tries it again',
    );
    return 'error';
  }
}

/** Past its deadline the order is FAILED; otherwise its job is made sure of. */
async function recover(
  deps: RecoveryDependencies,
  order: StalePendingOrder,
  now: Date,
): Promise<Outcome> {
  if (!isPastDeadline(order, now, deps.deadlineMs)) {
    // Without the user and product, a job the sweep adds reads its order back first: the
    // order may have settled since this page was read.
    return deps.queue.ensureQueued({
      id: order.id,
      created_at: order.created_at,
      request_id: order.request_id,
      generation: order.generation,
    });
  }
  const failure = deadlineFailure(order, deps.deadlineMs);
  // The sweep holds no publisher: a lease of no length leaves the event due for the relay
  // at once, which publishes it like any other (docs/adr/0016).
  const event = failedOrderEvent(order, failure, {
    messageId: deps.newMessageId(),
    producer: deps.producer,
    now,
    leaseMs: 0,
  });
  const settlement = settlementOf(order, { status: 'FAILED', failure, event }, [
    settledEntry(now, { to: 'FAILED', by: 'deadline', failure }),
  ]);
  const result = await deps.orders.settle(order.id, settlement, { now });
  if (result.won) {
    deps.logger.warn(
      { orderId: order.id, requestId: order.request_id, from: 'PENDING', to: 'FAILED', failure },
      'order state changed',
    );
  }
  return 'expired';
}
