import { isFinal } from '../../shared/domain/order-lifecycle.js';
import type { Order } from '../../shared/domain/order.js';
import type { SettlementWaiter } from '../../shared/long-poll/settlement-waiter.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';
import { createLongPollReads, type LongPollReads } from './long-poll-reads.js';

export interface GetOrderDependencies {
  orders: OrderRepository;
  settlements: SettlementWaiter;
  /** Requests this instance holds waiting at once, at most (LONG_POLL_MAX_WAITERS). */
  maxWaiters: number;
  /** Told the number of requests held waiting whenever it changes (a metric). */
  onWaitersChanged?: (count: number) => void;
}

/** The order, and whether the request was allowed to wait for it (the preference applied). */
export interface OrderRead {
  order: Order | null;
  waited: boolean;
}

/**
 * Reads an order; asked to wait, holds a PENDING order's answer until it is final or the
 * wait is over: listen for its settlement → read it → (still PENDING) wait → read it again.
 * Listening starts before the first read, so a settlement in between is not missed.
 *
 * Waiting is bounded: past `maxWaiters` held requests, a request is answered at once with
 * the order as stored. Long-polls of one order share their reads (long-poll-reads.ts).
 */
export function createGetOrderUseCase(deps: GetOrderDependencies) {
  const { orders, settlements } = deps;
  let waiters = 0;
  const countWaiters = (change: 1 | -1) => {
    waiters += change;
    deps.onWaitersChanged?.(waiters);
  };
  const reads = createLongPollReads(orders);

  return async function getOrder(
    id: string,
    options: {
      waitMs?: number;
      signal?: AbortSignal;
      /** Whether the caller may see this order; one it may not is answered as missing. */
      visible?: (order: Order) => boolean;
    } = {},
  ): Promise<OrderRead> {
    const shown = (order: Order | null) =>
      order === null || options.visible === undefined || options.visible(order) ? order : null;
    const waitMs = options.waitMs ?? 0;
    if (waitMs <= 0) return { order: shown(await orders.findById(id)), waited: false };
    if (waiters >= deps.maxWaiters) return { order: shown(await reads.recent(id)), waited: false };
    countWaiters(1);
    try {
      return await waitForSettlement({
        id,
        waitMs,
        signal: options.signal,
        shown,
        settlements,
        reads,
      });
    } finally {
      countWaiters(-1);
    }
  };
}

export type GetOrder = ReturnType<typeof createGetOrderUseCase>;

/** Why a wait's listening ended (a constant: abort() without a reason builds an exception). */
const WAIT_OVER = new Error('the wait is over');

/** One held request: listen for the settlement → read → (still PENDING) wait → read again. */
async function waitForSettlement({
  id,
  waitMs,
  signal,
  shown,
  settlements,
  reads,
}: {
  id: string;
  waitMs: number;
  /** Aborts when the client went away: the wait ends with the order as read. */
  signal: AbortSignal | undefined;
  shown: (order: Order | null) => Order | null;
  settlements: SettlementWaiter;
  reads: LongPollReads;
}): Promise<OrderRead> {
  const stopListening = new AbortController();
  const onClientGone = () => {
    stopListening.abort(WAIT_OVER);
  };
  signal?.addEventListener('abort', onClientGone, { once: true });
  try {
    const settled = settlements.waitFor(id, waitMs, stopListening.signal);
    const order = shown(await reads.begunAfterNow(id));
    if (order === null) return { order, waited: false };
    if (isFinal(order.status)) return { order, waited: true };
    const woken = await settled;
    if (signal?.aborted === true) return { order, waited: true };
    // Woken, the read must begin after the notice to see the settlement. Read again even when
    // the wait ran out: a notice lost while Redis was away must not leave the client with a
    // stale PENDING; a read begun a moment ago, long after this wait began, is as good.
    return {
      order: shown(await (woken ? reads.begunAfterNow(id) : reads.recent(id))),
      waited: true,
    };
  } finally {
    stopListening.abort(WAIT_OVER);
    signal?.removeEventListener('abort', onClientGone);
  }
}
