import { isFinal } from '../../shared/domain/order-lifecycle.js';
import type { Order } from '../../shared/domain/order.js';
import type { SettlementWaiter } from '../../shared/long-poll/settlement-waiter.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';

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
 * the order as stored. Waiters that start together share their first read, and the waiters
 * one settlement wakes share a single read of the order.
 */
export function createGetOrderUseCase(deps: GetOrderDependencies) {
  const { orders, settlements } = deps;
  let waiters = 0;
  const countWaiters = (change: 1 | -1) => {
    waiters += change;
    deps.onWaitersChanged?.(waiters);
  };
  const reads: WaitReads = {
    // Polls that begin waiting together (a flood on one order) share their first read, and
    // those whose waits run out together their last.
    fromNow: batchedReads(orders),
    // Woken waiters share a read begun after a wake-up, so it sees the settlement; a read
    // begun earlier (a poll past the cap) might not, so they never share it.
    afterWake: sharedReads(orders),
  };
  const readPastCap = sharedReads(orders);

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
    // Past the cap, a flood of polls on one order costs one read at a time, not one each.
    if (waiters >= deps.maxWaiters) return { order: shown(await readPastCap(id)), waited: false };
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

/** The reads of a wait: its first (and last, when no settlement came) and the one after a wake. */
interface WaitReads {
  fromNow: (id: string) => Promise<Order | null>;
  afterWake: (id: string) => Promise<Order | null>;
}

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
  reads: WaitReads;
}): Promise<OrderRead> {
  const stopListening = new AbortController();
  const onClientGone = () => {
    stopListening.abort(WAIT_OVER);
  };
  signal?.addEventListener('abort', onClientGone, { once: true });
  try {
    const settled = settlements.waitFor(id, waitMs, stopListening.signal);
    const order = shown(await reads.fromNow(id));
    if (order === null) return { order, waited: false };
    if (isFinal(order.status)) return { order, waited: true };
    const woken = await settled;
    if (signal?.aborted === true) return { order, waited: true };
    // Read again even when the wait ran out: a notice lost while Redis was away must not
    // leave the client with a stale PENDING.
    return {
      order: shown(await (woken ? reads.afterWake(id) : reads.fromNow(id))),
      waited: true,
    };
  } finally {
    stopListening.abort(WAIT_OVER);
    signal?.removeEventListener('abort', onClientGone);
  }
}

/** Reads of one order made while another is in flight get that one's answer. */
function sharedReads(orders: OrderRepository): (id: string) => Promise<Order | null> {
  const inFlight = new Map<string, Promise<Order | null>>();
  return (id) => {
    let read = inFlight.get(id);
    if (read === undefined) {
      read = orders.findById(id).finally(() => inFlight.delete(id));
      inFlight.set(id, read);
    }
    return read;
  };
}

/**
 * Reads of one order asked for before the read starts share it (it starts on the next turn of
 * the event loop). A read already started is never joined, so every caller's read began after
 * it asked: a waiter listening before it asked misses no settlement.
 */
function batchedReads(orders: OrderRepository): (id: string) => Promise<Order | null> {
  const gathering = new Map<string, Promise<Order | null>>();
  return (id) => {
    let read = gathering.get(id);
    if (read === undefined) {
      read = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        gathering.delete(id);
        return orders.findById(id);
      });
      gathering.set(id, read);
    }
    return read;
  };
}
