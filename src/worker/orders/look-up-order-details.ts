import type { LookupFailure } from '../../shared/domain/lookup-failure.js';
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

export type LookupOutcome =
  | { found: true; details: OrderDetails }
  | { found: false; failures: [LookupFailure, ...LookupFailure[]]; known: KnownLookups };

/**
 * Asks the user and the product service at the same time, skipping what an earlier attempt
 * already learned, and reports either the order's details or every failure.
 */
export async function lookUpOrderDetails(
  order: Pick<Order, 'user_id' | 'product_code' | 'request_id'>,
  known: KnownLookups,
  readers: Readers,
  limit: AttemptTimeout,
): Promise<LookupOutcome> {
  const [user, product] = await Promise.allSettled([
    known.user ?? readers.readUser(order.user_id, limit, order.request_id),
    known.product ?? readers.readProduct(order.product_code, limit, order.request_id),
  ]);
  if (user.status === 'fulfilled' && product.status === 'fulfilled') {
    return { found: true, details: orderDetailsFrom(user.value, product.value) };
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
