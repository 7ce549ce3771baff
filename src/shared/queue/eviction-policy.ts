import type { Redis } from 'ioredis';

/** BullMQ keeps jobs as ordinary keys: under any other policy a full Redis may evict them. */
export const REQUIRED_EVICTION_POLICY = 'noeviction';

/** Redis's `maxmemory-policy`, or null where CONFIG is not allowed (some managed services). */
export async function readEvictionPolicy(redis: Redis): Promise<string | null> {
  try {
    const answer = (await redis.config('GET', 'maxmemory-policy')) as unknown;
    const policy = Array.isArray(answer) ? (answer[1] as unknown) : undefined;
    return typeof policy === 'string' ? policy : null;
  } catch {
    return null;
  }
}

/** What to warn about a policy; null when it is the one BullMQ needs, or cannot be read. */
export function evictionWarning(policy: string | null): string | null {
  if (policy === null || policy === REQUIRED_EVICTION_POLICY) return null;
  return `maxmemory-policy is ${policy}: a full Redis may evict queued jobs; BullMQ needs ${REQUIRED_EVICTION_POLICY}`;
}
