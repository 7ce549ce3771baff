import {
  isRefusal,
  type Dependency,
  type LookupFailure,
} from '../../shared/domain/lookup-failure.js';
import { lookupEntry, type LookupEntry } from '../../shared/domain/order-history.js';
import {
  orderDetailsFrom,
  type Product,
  type UserProfile,
} from '../../shared/domain/order-details.js';
import type { Order, OrderDetails } from '../../shared/domain/order.js';
import type { AttemptTimeout } from '../../shared/domain/attempt-timeouts.js';
import type { KnownLookups } from '../../shared/queue/order-job.js';
import { LookupError } from '../lookups/lookup-error.js';
import type { ResourceReader } from '../lookups/resource-reader.js';

export interface Readers {
  readUser: ResourceReader<UserProfile>;
  readProduct: ResourceReader<Product>;
}

/**
 * `entries` has one entry per lookup, `made` only those of calls that were made (not refused
 * by a breaker or a bulkhead).
 */
export type LookupOutcome = { entries: LookupEntry[]; made: LookupEntry[] } & (
  | { found: true; details: OrderDetails }
  | { found: false; failures: [LookupFailure, ...LookupFailure[]]; known: KnownLookups }
);

/** Which attempt the lookups belong to, and the clock their history entries are dated by. */
export interface LookupRecording {
  attempt: number;
  clock: () => Date;
}

/** The lookups of one attempt of an order. */
export interface DetailsLookup {
  order: Pick<Order, 'user_id' | 'product_code' | 'request_id'>;
  /** What an earlier attempt already learned: not asked again. */
  known: KnownLookups;
  readers: Readers;
  limit: AttemptTimeout;
  recording: LookupRecording;
}

/**
 * Asks the user and the product service at the same time, skipping what an earlier attempt
 * already learned, and reports either the order's details or every failure, with a history
 * entry for each call it made.
 */
export async function lookUpOrderDetails({
  order,
  known,
  readers,
  limit,
  recording,
}: DetailsLookup): Promise<LookupOutcome> {
  const entries: LookupEntry[] = [];
  const refused = new Set<LookupEntry>();
  /** Calls `read`, adding its entry; an answer an earlier attempt gave is not a call. */
  async function recorded<T>(dependency: Dependency, resource: string, read: () => Promise<T>) {
    const at = recording.clock();
    const started = performance.now();
    const call = () => ({
      dependency,
      resource,
      at,
      durationMs: Math.round(performance.now() - started),
    });
    try {
      const value = await read();
      entries.push(lookupEntry(call(), recording.attempt));
      return value;
    } catch (error) {
      const failure = lookupFailureOf(error);
      const entry = lookupEntry(call(), recording.attempt, failure);
      entries.push(entry);
      if (isRefusal(failure)) refused.add(entry);
      throw error;
    }
  }

  const [user, product] = await Promise.allSettled([
    known.user ??
      recorded('user', order.user_id, () =>
        readers.readUser(order.user_id, limit, order.request_id),
      ),
    known.product ??
      recorded('product', order.product_code, () =>
        readers.readProduct(order.product_code, limit, order.request_id),
      ),
  ]);
  // Oldest first: the entries of two concurrent calls by the time each began.
  entries.sort((a, b) => a.at.getTime() - b.at.getTime());
  const made = entries.filter((entry) => !refused.has(entry));
  if (user.status === 'fulfilled' && product.status === 'fulfilled') {
    return { found: true, details: orderDetailsFrom(user.value, product.value), entries, made };
  }

  const failures = [user, product]
    .filter((result) => result.status === 'rejected')
    .map((result) => lookupFailureOf(result.reason));
  return {
    found: false,
    failures: failures as [LookupFailure, ...LookupFailure[]],
    known: {
      ...(user.status === 'fulfilled' ? { user: user.value } : {}),
      ...(product.status === 'fulfilled' ? { product: product.value } : {}),
    },
    entries,
    made,
  };
}

/** Anything that is not a classified lookup failure is a bug here: let it surface. */
function lookupFailureOf(reason: unknown): LookupFailure {
  if (reason instanceof LookupError) return reason.failure;
  throw reason;
}

/** Whether `after` holds a lookup that `before` did not: only then is it worth keeping. */
export function learnedMore(before: KnownLookups, after: KnownLookups): boolean {
  return (
    (after.user !== undefined && before.user === undefined) ||
    (after.product !== undefined && before.product === undefined)
  );
}
