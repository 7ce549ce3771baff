import type { Order } from '../../shared/domain/order.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';

/**
 * At most one long-poll read of an order begins per interval (ms), and an answer shared from
 * an earlier read is at most this old. A client polling again is answered anew; one held for
 * seconds loses nothing to it.
 */
export const LONG_POLL_READ_INTERVAL_MS = 25;

/**
 * The reads long-polls make of an order, shared between them: a flood of polls on one order
 * costs the store a read per interval, not one each.
 */
export interface LongPollReads {
  /**
   * A read that begins after this call, shared by every caller until it begins: what a
   * waiter needs, since it listens before it asks and so misses no settlement. It begins on
   * the next turn of the event loop, or an interval after the order's last read began,
   * whichever is later.
   */
  begunAfterNow(id: string): Promise<Order | null>;
  /**
   * The order as stored at most an interval ago: the last read begun that recently, under way
   * or done, else a new one. A failed read is not shared after it failed.
   */
  recent(id: string): Promise<Order | null>;
}

export function createLongPollReads(
  orders: OrderRepository,
  intervalMs = LONG_POLL_READ_INTERVAL_MS,
): LongPollReads {
  // Per order, the last read while it is less than an interval old, and the next until it begins.
  const last = new Map<string, { begunAt: number; read: Promise<Order | null> }>();
  const next = new Map<string, Promise<Order | null>>();

  const begin = (id: string) => {
    const entry = { begunAt: performance.now(), read: orders.findById(id) };
    last.set(id, entry);
    const forget = () => {
      if (last.get(id) === entry) last.delete(id);
    };
    void notBefore(entry.begunAt + intervalMs).then(forget);
    entry.read.catch(forget);
    return entry.read;
  };

  return {
    begunAfterNow(id) {
      let read = next.get(id);
      if (read === undefined) {
        const previous = last.get(id);
        read = notBefore(previous === undefined ? 0 : previous.begunAt + intervalMs).then(() => {
          next.delete(id);
          return begin(id);
        });
        next.set(id, read);
      }
      return read;
    },
    recent(id) {
      const previous = last.get(id);
      if (previous !== undefined && performance.now() - previous.begunAt <= intervalMs)
        return previous.read;
      return begin(id);
    },
  };
}

/**
 * The next turn of the event loop (so that callers in this one share what follows), or the
 * moment `deadline` (performance.now()) has passed if that is later. Checked against the
 * clock: a timer runs by the event loop's cached time and may fire a little early.
 */
function notBefore(deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const leftMs = deadline - performance.now();
      if (leftMs > 0) setTimeout(check, Math.ceil(leftMs));
      else resolve();
    };
    if (deadline > performance.now()) check();
    else setImmediate(resolve);
  });
}
