import { createHash } from 'node:crypto';
import type { Order } from '../../shared/domain/order.js';
import type {
  IdempotencyStore,
  IdempotentOutcome,
} from '../../shared/persistence/idempotency-store.js';
import type {
  FailedOrderQuery,
  OrderRepository,
} from '../../shared/persistence/order-repository.js';
import { encodeCursor } from '../orders/order-list-query.js';
import type { RedriveOne } from './redrive-one.js';

export interface RedriveFailedOrdersDependencies {
  orders: OrderRepository;
  redriveOne: RedriveOne;
  idempotencyKeys: IdempotencyStore;
  idempotencyKeyTtlMs: number;
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

export type BulkRedriveResult =
  { outcome: 'done'; counts: BulkRedrive; replayed: boolean } | { outcome: 'key-reused' };

/** The page a request takes on: each order with the generation it was in when read. */
type Page = NonNullable<IdempotentOutcome['page']>;

/** Re-drives run this many at a time: a page of 500 does not open 500 store connections. */
const CONCURRENT_REDRIVES = 16;

async function inBatches<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += CONCURRENT_REDRIVES)
    results.push(...(await Promise.all(items.slice(start, start + CONCURRENT_REDRIVES).map(run))));
  return results;
}

/**
 * An operator's bulk re-drive: read one page of FAILED orders matching the filter, oldest
 * first → re-drive each → count. One request handles one bounded page; `next_cursor` goes on
 * from where it stopped. Re-driven orders are no longer FAILED, so running the same filter
 * again finds only what is left.
 *
 * With an Idempotency-Key, the key is recorded with the page the request takes on, before
 * any re-drive: the same request again works on that page, not on a new one (the first
 * page's orders have left FAILED, so the filter would find others), re-drives only what is
 * still in the generation it was read in, and answers with the same counts.
 */
export function createRedriveFailedOrdersUseCase(deps: RedriveFailedOrdersDependencies) {
  const { orders, redriveOne } = deps;

  const cursorAfter = (page: readonly Order[], limit: number) => {
    const last = page.at(-1);
    return page.length === limit && last !== undefined ? encodeCursor(last) : null;
  };

  async function redriveAll(page: readonly Order[], operator: string): Promise<number> {
    const results = await inBatches(page, (order) => redriveOne(order, operator));
    return results.filter((result) => result.redriven).length;
  }

  /**
   * Works on a recorded page: an order past the generation it was read in was re-driven (by
   * this key's first request, or by another); one still in it is re-driven now.
   */
  async function redriveRecorded(page: Page, operator: string): Promise<number> {
    const results = await inBatches(page, async ({ id, generation }) => {
      const order = await orders.findById(id);
      if (order === null) return false;
      if (order.generation > generation) return true;
      if (order.generation !== generation) return false;
      if ((await redriveOne(order, operator)).redriven) return true;
      // A concurrent request with this key may have re-driven it since it was read.
      return ((await orders.findById(id))?.generation ?? generation) > generation;
    });
    return results.filter(Boolean).length;
  }

  return async function redriveFailedOrders(
    query: FailedOrderQuery,
    request: { operator: string; idempotencyKey?: string | undefined },
  ): Promise<BulkRedriveResult> {
    const page = await orders.findFailed(query);
    const next_cursor = cursorAfter(page, query.limit);
    if (request.idempotencyKey === undefined) {
      const redriven = await redriveAll(page, request.operator);
      return {
        outcome: 'done',
        counts: { redriven, skipped: page.length - redriven, next_cursor },
        replayed: false,
      };
    }

    const fingerprint = createHash('sha256')
      .update(JSON.stringify(['redrive-bulk', query]))
      .digest('hex');
    const now = deps.clock();
    const { record, fresh } = await deps.idempotencyKeys.remember({
      key: request.idempotencyKey,
      fingerprint,
      order_id: '',
      outcome: {
        page: page.map((order) => ({ id: order.id, generation: order.generation })),
        next_cursor,
      },
      created_at: now,
      expires_at: new Date(now.getTime() + deps.idempotencyKeyTtlMs),
    });
    if (record.fingerprint !== fingerprint) return { outcome: 'key-reused' };
    const recorded = record.outcome ?? {};
    if (!fresh && recorded.redriven !== undefined) {
      const counts = {
        redriven: recorded.redriven,
        skipped: recorded.skipped ?? 0,
        next_cursor: recorded.next_cursor ?? null,
      };
      return { outcome: 'done', counts, replayed: true };
    }
    const planned = recorded.page ?? [];
    const redriven = fresh
      ? await redriveAll(page, request.operator)
      : await redriveRecorded(planned, request.operator);
    const counts = {
      redriven,
      skipped: planned.length - redriven,
      next_cursor: recorded.next_cursor ?? null,
    };
    await deps.idempotencyKeys.recordOutcome(request.idempotencyKey, { ...recorded, ...counts });
    return { outcome: 'done', counts, replayed: !fresh };
  };
}

export type RedriveFailedOrders = ReturnType<typeof createRedriveFailedOrdersUseCase>;
