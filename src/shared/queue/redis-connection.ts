import { Cluster, Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RedisNode {
  host: string;
  port: number;
}

/** One Redis server's URL, or the nodes of a Redis Cluster, which then replaces the URL. */
export interface RedisSettings {
  url: string;
  clusterNodes: readonly RedisNode[] | null;
}

/** A connection to one Redis server or to a Redis Cluster; BullMQ takes either. */
export type RedisConnection = Redis | Cluster;

type Role = 'producer' | 'worker' | 'subscriber';

/**
 * BullMQ in an ES-module project wants an ioredis instance, not connection options.
 * - A producer (the API) must fail fast when Redis is down, so the order it already stored is
 *   answered at once; commands are not buffered while disconnected.
 * - A worker blocks on Redis and must wait through outages: BullMQ requires
 *   `maxRetriesPerRequest: null` there.
 * - A subscriber (pub/sub) waits through outages too and subscribes again on reconnect.
 * The same roles hold on a cluster, for the cluster as a whole and for each node's connection.
 */
export function createRedisConnection(url: string, role: Role): Redis;
export function createRedisConnection(settings: RedisSettings, role: Role): RedisConnection;
export function createRedisConnection(target: string | RedisSettings, role: Role): RedisConnection {
  const settings = typeof target === 'string' ? { url: target, clusterNodes: null } : target;
  if (settings.clusterNodes !== null) return clusterConnection(settings.clusterNodes, role);
  return role === 'producer'
    ? new Redis(settings.url, {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        connectTimeout: 2000,
      })
    : new Redis(settings.url, { maxRetriesPerRequest: null });
}

function clusterConnection(nodes: readonly RedisNode[], role: Role): Cluster {
  const startupNodes = nodes.map(({ host, port }) => ({ host, port }));
  return role === 'producer'
    ? new Cluster(startupNodes, {
        enableOfflineQueue: false,
        // BullMQ counts a cluster that is connected but has not passed its ready check as
        // ready, and a queue whose first commands fail then never recovers; without the check
        // there is no such in-between. A cluster that cannot serve answers CLUSTERDOWN, which
        // fails as fast (and readiness asks for cluster_state:ok itself).
        enableReadyCheck: false,
        redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 2000 },
      })
    : new Cluster(startupNodes, { redisOptions: { maxRetriesPerRequest: null } });
}

/** True for a Redis Cluster connection (where commands without keys go to any one node). */
export function isCluster(redis: RedisConnection): redis is Cluster {
  return redis instanceof Cluster;
}

/** Resolves once the connection can take commands (at once when it already can). */
export function whenReady(redis: RedisConnection): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    redis.once('ready', () => {
      resolve();
    });
  });
}

/**
 * QUIT waits behind every queued command, and commands queue for as long as Redis is away:
 * give it a moment, then drop the connection.
 */
export async function closeRedis(redis: RedisConnection, graceMs = 1000): Promise<void> {
  const quit = redis.quit().then(
    () => true,
    () => false,
  );
  const done = await Promise.race([quit, sleep(graceMs, false, { ref: false })]);
  if (!done) redis.disconnect();
}
