import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * BullMQ in an ES-module project wants an ioredis instance, not connection options.
 * - A producer (the API) must fail fast when Redis is down, so the order it already stored is
 *   answered at once; commands are not buffered while disconnected.
 * - A worker blocks on Redis and must wait through outages: BullMQ requires
 *   `maxRetriesPerRequest: null` there.
 * - A subscriber (pub/sub) waits through outages too and subscribes again on reconnect.
 */
export function createRedisConnection(
  url: string,
  role: 'producer' | 'worker' | 'subscriber',
): Redis {
  return role === 'producer'
    ? new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 })
    : new Redis(url, { maxRetriesPerRequest: null });
}

/**
 * QUIT waits behind every queued command, and commands queue for as long as Redis is away:
 * give it a moment, then drop the connection.
 */
export async function closeRedis(redis: Redis, graceMs = 1000): Promise<void> {
  const quit = redis.quit().then(
    () => true,
    () => false,
  );
  const done = await Promise.race([quit, sleep(graceMs, false, { ref: false })]);
  if (!done) redis.disconnect();
}
