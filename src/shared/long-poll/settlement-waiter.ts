import type { Logger } from '../observability/logger.js';
import type { RedisConnection } from '../queue/redis-connection.js';
import { announcedOrders } from './settlement-channel.js';

/**
 * The API's half of the long-poll: clients that sent `Prefer: wait` wait here for the
 * announcement of their order's settlement (see settlement-channel.ts).
 */
export interface SettlementWaiter {
  /**
   * Resolves true when the order is announced settled, false when `timeoutMs` passes or
   * `signal` aborts first. Start waiting before reading the order, so a settlement between
   * the read and the wait is not missed.
   */
  waitFor(orderId: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Wakes every waiter (shutdown) and stops listening. */
  close(): Promise<void>;
}

/** Listens on a connection of its own (a subscribed Redis connection can do nothing else). */
export function createSettlementWaiter(
  subscriber: RedisConnection,
  channel: string,
  logger: Logger,
): SettlementWaiter {
  const waiting = new Map<string, Set<(settled: boolean) => void>>();
  let closed = false;
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    for (const orderId of announcedOrders(message))
      for (const wake of waiting.get(orderId) ?? []) wake(true);
  });
  // While Redis is away the subscription waits (ioredis subscribes again on reconnect) and
  // long-polls simply last their full wait; say when that starts and ends.
  let listening = false;
  subscriber.on('ready', () => {
    listening = true;
    logger.info({ channel }, 'listening for settlements');
  });
  subscriber.on('close', () => {
    if (listening && !closed)
      logger.warn({ channel }, 'not listening for settlements until Redis is back');
    listening = false;
  });
  subscriber.subscribe(channel).catch((error: unknown) => {
    logger.warn({ err: error, channel }, 'could not subscribe to settlements');
  });

  return {
    waitFor(orderId, timeoutMs, signal) {
      if (closed) return Promise.resolve(false);
      return new Promise((resolve) => {
        const wake = (settled: boolean) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const forOrder = waiting.get(orderId);
          forOrder?.delete(wake);
          if (forOrder?.size === 0) waiting.delete(orderId);
          resolve(settled);
        };
        const onAbort = () => {
          wake(false);
        };
        const timer = setTimeout(onAbort, timeoutMs);
        signal?.addEventListener('abort', onAbort, { once: true });
        const forOrder = waiting.get(orderId) ?? new Set();
        forOrder.add(wake);
        waiting.set(orderId, forOrder);
        if (signal?.aborted === true) onAbort();
      });
    },
    close() {
      closed = true;
      for (const forOrder of [...waiting.values()]) for (const wake of [...forOrder]) wake(false);
      // Not quit(): a QUIT queued behind a subscription still waiting for Redis never returns.
      subscriber.disconnect();
      return Promise.resolve();
    },
  };
}
