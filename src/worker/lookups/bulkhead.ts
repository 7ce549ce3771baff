import type { Dependency } from '../../shared/domain/lookup-failure.js';
import { LookupError } from './lookup-error.js';
import type { ResourceReader } from './resource-reader.js';

/** A reader that makes at most so many calls at once, and how many it is making now. */
export interface Bulkhead<T> {
  read: ResourceReader<T>;
  inFlight(): number;
}

/**
 * Caps the calls one worker has in flight to one service. A service that hangs for everyone
 * then holds at most `maxInFlight` of the worker's slots and sockets; every call past the cap
 * is refused at once as `saturated`, and its order waits in the delayed set instead of in a
 * slot. It sits outside the breakers on purpose: a call it refuses was never made, so it must
 * not count for or against a breaker. (opossum's own `capacity` option does not fit for that
 * reason: its refusals reach the breaker's statistics, as failures or, filtered, as successes.)
 */
export function withBulkhead<T>(
  reader: ResourceReader<T>,
  options: { dependency: Dependency; maxInFlight: number },
): Bulkhead<T> {
  let inFlight = 0;
  return {
    read: async (id, limit, requestId) => {
      if (inFlight >= options.maxInFlight) {
        throw new LookupError({
          dependency: options.dependency,
          resource: id,
          cause: 'saturated',
          limit: options.maxInFlight,
        });
      }
      inFlight++;
      try {
        return await reader(id, limit, requestId);
      } finally {
        inFlight--;
      }
    },
    inFlight: () => inFlight,
  };
}
