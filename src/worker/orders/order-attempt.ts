import type { WaitFor } from '../../shared/domain/lookup-failure.js';
import type { HistoryEntry } from '../../shared/domain/order-history.js';
import type { Order } from '../../shared/domain/order.js';
import type { KnownLookups } from '../../shared/queue/order-job.js';

/** One run of an order's job, as the use case sees it (the queue adapter fills it in). */
export interface OrderAttempt {
  orderId: string;
  /** 1 for the first run. */
  number: number;
  /** No retry follows this one: a retryable failure now settles the order as FAILED. */
  isLast: boolean;
  /** The order as accepted, for a job the API queued that has not stalled; null otherwise. */
  accepted: Order | null;
  /** The re-drive generation the job is of (see Order.generation); 0 as accepted. */
  generation: number;
  /** Lookups that succeeded in earlier attempts. */
  known: KnownLookups;
  /**
   * What the earlier runs of this job recorded, oldest first, for the order's history: the
   * attempts that ended in a retry, and the calls of runs that only waited.
   */
  earlier: HistoryEntry[];
  /** Keeps successful lookups, and the calls of a run that only waits, for the next run. */
  remember(known: KnownLookups, waitedCalls?: readonly HistoryEntry[]): Promise<void>;
}

/**
 * Thrown to hand the order back to the queue, which retries it after a backoff. It carries
 * what this attempt did (its lookups), which the queue keeps with the job until a later
 * attempt settles the order and writes it into the order's history.
 */
export class RetryLaterError extends Error {
  constructor(
    reason: string,
    readonly entries: HistoryEntry[],
  ) {
    super(reason);
    this.name = 'RetryLaterError';
  }
}

/**
 * Thrown to hand the order back to the queue until a service that is down for everyone may
 * be back, has room for another call, or a resource that answers some calls may answer this
 * one: the wait spends none of the order's attempts and holds no worker slot.
 */
export class WaitForDependencyError extends Error {
  constructor(
    readonly waitFor: WaitFor,
    reason: string,
  ) {
    super(reason);
    this.name = 'WaitForDependencyError';
  }
}
