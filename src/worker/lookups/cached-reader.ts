import { LRUCache } from 'lru-cache';
import type { AttemptTimeout } from '../../shared/domain/attempt-timeouts.js';
import type { ResourceReader } from './resource-reader.js';

interface CallContext {
  id: string;
  limit: AttemptTimeout;
  requestId: string | null;
}

/**
 * Remembers answers for `ttlMs` and lets concurrent lookups of one id share one call
 * (request coalescing): a burst of orders for one product costs one request, not hundreds.
 * Failures are not remembered; every waiter of a failed call gets its error. A remembered
 * answer may be up to `ttlMs` old: a price changed upstream shows after at most that long.
 * Only lookups with the same kind of time limit share a call (a patient attempt must not
 * inherit a first attempt's 2 s, nor a first attempt wait 75 s), and a shared call carries
 * the first caller's request id to the service.
 */
export function cachedReader<T extends object>(
  reader: ResourceReader<T>,
  options: { ttlMs: number; maxEntries: number },
): ResourceReader<T> {
  const cache = new LRUCache<string, T, CallContext>({
    max: options.maxEntries,
    ttl: options.ttlMs,
    // The first caller's time limit and request id serve the shared call.
    fetchMethod: (_key, _stale, { context }) =>
      reader(context.id, context.limit, context.requestId),
  });
  return async (id, limit, requestId) => {
    const key = `${limit.patient ? 'patient' : 'first'}:${id}`;
    const found = await cache.fetch(key, { context: { id, limit, requestId } });
    // fetchMethod either resolves with an answer or rejects; it never leaves a gap.
    if (found === undefined) throw new Error(`no answer cached for ${id}`);
    return found;
  };
}
