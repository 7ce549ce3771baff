import { Redis } from 'ioredis';

/** Calls to each dependency so far, as the processes and the servers count them. */
export interface DependencyCounts {
  /** MongoDB commands sent by the API and the worker (mongodb_commands_total), by name. */
  mongo: Record<string, number>;
  /** Redis commands the server ran (INFO commandstats), whoever sent them. */
  redis: number;
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

async function redisCommands(url: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('commandstats');
    // Leave out what this reading itself sends.
    return [...info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)]
      .filter(([, name]) => name !== 'info')
      .reduce((sum, [, , calls]) => sum + Number(calls), 0);
  } finally {
    redis.disconnect();
  }
}

export async function readDependencyCounts(urls: {
  api: string;
  worker: string;
  redis: string;
}): Promise<DependencyCounts> {
  const [api, worker, redis] = await Promise.all([
    fetch(`${urls.api}/metrics`).then((response) => response.text()),
    fetch(`${urls.worker}/metrics`).then((response) => response.text()),
    redisCommands(urls.redis),
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
  const mongoByCommand = Object.fromEntries(
    Object.entries(after.mongo)
      .map(([command, count]) => [command, (count - (before.mongo[command] ?? 0)) / orders])
      .filter(([, perOrder]) => (perOrder as number) > 0),
  ) as Record<string, number>;
  return {
    mongo: total(mongoByCommand),
    mongoByCommand,
    redis: (after.redis - before.redis) / orders,
    amqpPublishes: (after.amqpPublishes - before.amqpPublishes) / orders,
    http: (after.http - before.http) / orders,
  };
}

export type CountsPerOrder = ReturnType<typeof countsPerOrder>;
