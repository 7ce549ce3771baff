import type { Redis } from 'ioredis';
import { isCluster, type RedisConnection } from './redis-connection.js';

/** BullMQ keeps jobs as ordinary keys: under any other policy a full Redis may evict them. */
export const REQUIRED_EVICTION_POLICY = 'noeviction';

/** One server's `maxmemory-policy`, or null where CONFIG is not allowed. */
async function serverEvictionPolicy(redis: Redis): Promise<string | null> {
  try {
    const answer = (await redis.config('GET', 'maxmemory-policy')) as unknown;
    const policy = Array.isArray(answer) ? (answer[1] as unknown) : undefined;
    return typeof policy === 'string' ? policy : null;
  } catch {
    return null;
  }
}

/**
 * Redis's `maxmemory-policy`, or null where CONFIG is not allowed (some managed services). On a
 * cluster each master keeps its own setting and its own share of the jobs: the first master
 * whose policy is not the required one names the policy, as one such master is enough to lose
 * jobs.
 */
export async function readEvictionPolicy(redis: RedisConnection): Promise<string | null> {
  if (!isCluster(redis)) return serverEvictionPolicy(redis);
  const policies = await Promise.all(redis.nodes('master').map(serverEvictionPolicy));
  const known = policies.filter((policy) => policy !== null);
  return known.find((policy) => policy !== REQUIRED_EVICTION_POLICY) ?? known[0] ?? null;
}

/** What to warn about a policy; null when it is the one BullMQ needs, or cannot be read. */
export function evictionWarning(policy: string | null): string | null {
  if (policy === null || policy === REQUIRED_EVICTION_POLICY) return null;
  return `maxmemory-policy is ${policy}: a full Redis may evict queued jobs; BullMQ needs ${REQUIRED_EVICTION_POLICY}`;
}
