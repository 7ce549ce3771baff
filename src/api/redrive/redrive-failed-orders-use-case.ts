import type { Order } from '../../shared/domain/order.js';
import type { IdempotentOutcome } from '../../shared/persistence/idempotency-store.js';
import type {
  FailedOrderQuery,
  OrderRepository,
} from '../../shared/persistence/order-repository.js';
import { bulkRedriveFingerprint } from '../idempotency/request-identity.js';
import type { Claim, RunOnce } from '../idempotency/run-once.js';
import { encodeCursor } from '../orders/order-list-query.js';
import type { RedriveOne } from './redrive-one.js';

export interface RedriveFailedOrdersDependencies {
  orders: OrderRepository;
  redriveOne: RedriveOne;
  /** Runs a request sent with an Idempotency-Key once under its key. */
  runOnce: RunOnce;
  clock: () => Date;
}

/** What one bulk request did to the page of FAILED orders it read. */
export interface BulkRedrive {
  /** Taken back to PENDING with a fresh job. */
  redriven: number;
  /** Matched but left as they were: their event still waits for the broker, or they changed. */
  skipped: number;
  /** Where the next page begins; null when this page was the last. */
  next_cursor: string | null;
}

export interface BulkRedriveResult {
  counts: BulkRedrive;
  replayed: boolean;
}

/**
 * An operator's bulk re-drive: read one page of FAILED orders matching the filter, oldest
 * first → re-drive each → count. One request handles one bounded page; `next_cursor` goes on
 * from where it stopped. Re-driven orders are no longer FAILED, so running the same filter
 * again finds only what is left.
 *
 * With an Idempotency-Key, the request runs once under the key, which records the page it
 * takes on before any re-drive: the same request again works on that page, not on a new one
 * (the first page's orders have left FAILED, so the filter would find others), re-drives only
 * what is still in the generation it was read in, and answers with the same counts.
 */
export function createRedriveFailedOrdersUseCase(deps: RedriveFailedOrdersDependencies) {
  const { runOnce } = deps;
  return async function redriveFailedOrders(
    query: FailedOrderQuery,
    request: { operator: string; idempotencyKey?: string | undefined },
  ): Promise<BulkRedriveResult> {
    const page = await deps.orders.findFailed(query);
    const next_cursor = cursorAfter(page, query.limit);
    if (request.idempotencyKey === undefined) {
      const redriven = await redriveAll(deps, page, request.operator);
      return {
        counts: { redriven, skipped: page.length - redriven, next_cursor },
        replayed: false,
      };
    }
    return runOnce<BulkRedriveResult>({
      key: request.idempotencyKey,
      fingerprint: bulkRedriveFingerprint(query),
      now: deps.clock(),
      plan: { order_id: '', outcome: { page: pageAsRead(page), next_cursor } },
      replay: ({ record }) => recordedAnswer(record.outcome),
      run: (claim) => redrivePlanned(deps, { claim, page, operator: request.operator }),
      keep: ({ counts }) => counts,
    });
  };
}

export type RedriveFailedOrders = ReturnType<typeof createRedriveFailedOrdersUseCase>;

type RedriveSteps = Pick<RedriveFailedOrdersDependencies, 'orders' | 'redriveOne'>;

/** The page a request takes on: each order with the generation it was in when read. */
type Page = NonNullable<IdempotentOutcome['page']>;

/** Re-drives run this many at a time: a page of 500 does not open 500 store connections. */
const CONCURRENT_REDRIVES = 16;

function cursorAfter(page: readonly Order[], limit: number): string | null {
  const last = page.at(-1);
  return page.length === limit && last !== undefined ? encodeCursor(last) : null;
}

function pageAsRead(page: readonly Order[]): Page {
  return page.map((order) => ({ id: order.id, generation: order.generation }));
}

/** The counts the key's first request recorded once done; null while it has not. */
function recordedAnswer(recorded: IdempotentOutcome | undefined): BulkRedriveResult | null {
  if (recorded?.redriven === undefined) return null;
  const counts = {
    redriven: recorded.redriven,
    skipped: recorded.skipped ?? 0,
    next_cursor: recorded.next_cursor ?? null,
  };
  return { counts, replayed: true };
}

/**
 * The first request with the key re-drives the page it read; a repeat (its first stopped
 * before counting) works on the page the key recorded.
 */
async function redrivePlanned(
  deps: RedriveSteps,
  { claim, page, operator }: { claim: Claim; page: readonly Order[]; operator: string },
): Promise<BulkRedriveResult> {
  const recorded = claim.record.outcome ?? {};
  const planned = recorded.page ?? [];
  const redriven = claim.first
    ? await redriveAll(deps, page, operator)
    : await redriveRecorded(deps, planned, operator);
  const counts = {
    redriven,
    skipped: planned.length - redriven,
    next_cursor: recorded.next_cursor ?? null,
  };
  return { counts, replayed: !claim.first };
}

async function redriveAll(
  deps: RedriveSteps,
  page: readonly Order[],
  operator: string,
): Promise<number> {
  const results = await inBatches(page, (order) => deps.redriveOne(order, operator));
  return results.filter((result) => result.redriven).length;
}

/**
 * Works on a recorded page: an order past the generation it was read in was re-driven (by
 * this key's first request, or by another); one still in it is re-driven now.
 */
async function redriveRecorded(deps: RedriveSteps, page: Page, operator: string): Promise<number> {
  const results = await inBatches(page, async ({ id, generation }) => {
    const order = await deps.orders.findById(id);
    if (order === null) return false;
    if (order.generation > generation) return true;
    if (order.generation !== generation) return false;
    if ((await deps.redriveOne(order, operator)).redriven) return true;
    // A concurrent request with this key may have re-driven it since it was read.
    return ((await deps.orders.findById(id))?.generation ?? generation) > generation;
  });
  return results.filter(Boolean).length;
}

async function inBatches<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += CONCURRENT_REDRIVES)
    results.push(...(await Promise.all(items.slice(start, start + CONCURRENT_REDRIVES).map(run))));
  return results;
}
