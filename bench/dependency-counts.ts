import { Redis } from 'ioredis';

/** Calls to each dependency so far, as the processes and the servers count them. */
export interface DependencyCounts {
  /** MongoDB commands sent by the API and the worker (mongodb_commands_total), by name. */
  mongo: Record<string, number>;
  /** Redis commands the server ran (INFO commandstats), whoever sent them, by name. */
  redis: Record<string, number>;
  /** Events the broker confirmed to the worker (events_published_total). */
  amqpPublishes: number;
  /** Calls to the user and product services (dependency_request_duration_seconds_count). */
  http: number;
}

/** The sum of every sample of `metric` in a Prometheus text page, by one label's value. */
function samples(page: string, metric: string, label?: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const line of page.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const match = /^(\S+?)(\{.*\})? (\S+)$/.exec(line);
    if (match?.[1] !== metric) continue;
    const key =
      label === undefined ? '' : (new RegExp(`${label}="([^"]*)"`).exec(match[2] ?? '')?.[1] ?? '');
    found[key] = (found[key] ?? 0) + Number(match[3]);
  }
  return found;
}

const total = (values: Record<string, number>) =>
  Object.values(values).reduce((sum, value) => sum + value, 0);

/**
 * Calls of each command the Redis server ran so far (INFO commandstats), commands run inside
 * Lua scripts included: BullMQ's work is mostly scripts, and what they do is what costs.
 * Subcommands count under their own name (`client|setname`).
 */
export async function redisCommandCalls(url: string): Promise<Record<string, number>> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('commandstats');
    return Object.fromEntries(
      [...info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)]
        // Leave out what this reading itself sends (its connection's HELLO, then INFO).
        .filter(([, name]) => name !== 'info' && name !== 'hello')
        .map(([, name = '', calls]): [string, number] => [name, Number(calls)]),
    );
  } finally {
    redis.disconnect();
  }
}

/**
 * Calls per order of each command between two readings, most frequent first; commands no
 * order used are left out, so a breakdown reads as what an order costs.
 */
export function callsPerOrderByName(
  before: Record<string, number>,
  after: Record<string, number>,
  orders: number,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([name, calls]): [string, number] => [name, (calls - (before[name] ?? 0)) / orders])
      .filter(([, perOrder]) => perOrder > 0)
      .sort(([, a], [, b]) => b - a),
  );
}

export async function readDependencyCounts(urls: {
  api: string;
  worker: string;
  redis: string;
}): Promise<DependencyCounts> {
  const [api, worker, redis] = await Promise.all([
    fetch(`${urls.api}/metrics`).then((response) => response.text()),
    fetch(`${urls.worker}/metrics`).then((response) => response.text()),
    redisCommandCalls(urls.redis),
  ]);
  const mongo = samples(api, 'mongodb_commands_total', 'command');
  for (const [command, count] of Object.entries(
    samples(worker, 'mongodb_commands_total', 'command'),
  ))
    mongo[command] = (mongo[command] ?? 0) + count;
  return {
    mongo,
    redis,
    amqpPublishes: total(samples(worker, 'events_published_total')),
    http: total(samples(worker, 'dependency_request_duration_seconds_count')),
  };
}

/** Calls per order to each dependency between two readings. */
export function countsPerOrder(before: DependencyCounts, after: DependencyCounts, orders: number) {
  const mongoByCommand = callsPerOrderByName(before.mongo, after.mongo, orders);
  return {
    mongo: total(mongoByCommand),
    mongoByCommand,
    redis: (total(after.redis) - total(before.redis)) / orders,
    /** Which commands make up `redis`, most frequent first (every one, not only the top). */
    redisByCommand: callsPerOrderByName(before.redis, after.redis, orders),
    amqpPublishes: (after.amqpPublishes - before.amqpPublishes) / orders,
    http: (after.http - before.http) / orders,
  };
}

export type CountsPerOrder = ReturnType<typeof countsPerOrder>;
