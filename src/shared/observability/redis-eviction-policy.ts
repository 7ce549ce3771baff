import { Gauge, type Registry } from 'prom-client';
import { evictionWarning, readEvictionPolicy } from '../queue/eviction-policy.js';
import { whenReady, type RedisConnection } from '../queue/redis-connection.js';
import type { Logger } from './logger.js';

/**
 * Watches the Redis setting BullMQ depends on: a warning at start when it is wrong, and
 * `redis_maxmemory_policy{policy}` (1 for the policy in force, read at each scrape) so an
 * alert can catch a change made later.
 */
export function watchEvictionPolicy(
  redis: RedisConnection,
  registry: Registry,
  logger: Logger,
): void {
  new Gauge({
    name: 'redis_maxmemory_policy',
    help: "Redis's maxmemory-policy: 1 for the policy in force (unknown where CONFIG is not allowed). BullMQ needs noeviction.",
    labelNames: ['policy'],
    registers: [registry],
    async collect() {
      const policy = (await readEvictionPolicy(redis)) ?? 'unknown';
      this.reset();
      this.set({ policy }, 1);
    },
  });
  // Once connected: a connection that does not queue commands (the producer's) would refuse
  // the read while still connecting, and a cluster knows its masters only by then.
  void whenReady(redis)
    .then(() => readEvictionPolicy(redis))
    .then((policy) => {
      const warning = evictionWarning(policy);
      if (warning !== null) logger.warn({ policy }, warning);
    });
}
