import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { newPendingOrder } from '../../src/shared/domain/order-lifecycle.js';
import { createMongoConnection } from '../../src/shared/persistence/mongo-connection.js';
import {
  createMongoOrderRepository,
  ensureOrderIndexes,
} from '../../src/shared/persistence/mongo-order-repository.js';
import { createOrderQueue } from '../../src/shared/queue/order-queue.js';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { loadApiConfig } from '../../src/shared/config/config.js';
import { services } from '../../test/support/services.js';
import { peakRssMb } from '../../test/support/processes.js';
import { BenchStack } from '../stack.js';
import { round, summarize } from '../stats.js';
import { INSTANT_ORDER } from '../stubs.js';

export interface AcceptFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  peakRssMb: number;
}

export interface AcceptPathResult {
  /** The headline: the worker runs beside the API and processes what it accepts. */
  withWorker: AcceptFigures;
  /** No worker running: the API's best case. */
  api: AcceptFigures;
  floor: { opsPerSecond: number; p50Ms: number; p99Ms: number };
  /** API req/s (no worker) over floor ops/s. */
  ratio: number;
}

/**
 * The floor: what the API's two writes cost without HTTP. The same adapters the API uses
 * (the order repository's insert and the queue's enqueue, with the same indexes, pool and
 * timeouts), called back to back by `connections` loops for `durationS`.
 */
async function measureFloor(connections: number, durationS: number) {
  const stack = new BenchStack('floor');
  // The API process inherits this environment too: the floor must see the same settings.
  const config = loadApiConfig({ ...process.env, ...stack.env, LOG_LEVEL: 'silent' });
  const mongo = createMongoConnection(config.mongo);
  const redis = createRedisConnection(services.redisUrl, 'producer');
  const orders = createMongoOrderRepository(mongo.db);
  const queue = createOrderQueue({
    name: config.queue.name,
    connection: redis,
    retry: config.queue,
  });
  await ensureOrderIndexes(mongo.db);
  const latencies: number[] = [];
  const end = Date.now() + durationS * 1000;
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < end) {
          const started = performance.now();
          const order = newPendingOrder(
            { id: randomUUID(), ...INSTANT_ORDER, request_id: randomUUID() },
            new Date(),
          );
          await orders.insert(order);
          await queue.enqueue(order);
          latencies.push(performance.now() - started);
        }
      }),
    );
  } finally {
    await queue.close();
    redis.disconnect();
    await mongo.db.dropDatabase();
    await mongo.client.close();
    await stack.dispose();
  }
  const summary = summarize(latencies);
  return {
    opsPerSecond: round(latencies.length / durationS, 0),
    p50Ms: round(summary.p50),
    p99Ms: round(summary.p99),
  };
}

/**
 * autocannon against POST /orders, with the worker processing every accepted order at once
 * (instant stubs), or with no worker (as for the floor).
 */
async function measureApi(
  connections: number,
  durationS: number,
  withWorker: boolean,
): Promise<AcceptFigures> {
  const stack = new BenchStack(withWorker ? 'accept_worker' : 'accept');
  try {
    await stack.startApi();
    if (withWorker) await stack.startWorker();
    // A short warm-up: JIT, connection pools and indexes, not what is measured.
    await autocannon({
      url: `${stack.apiUrl}/orders`,
      connections,
      duration: 1,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(INSTANT_ORDER),
    });
    const result = await autocannon({
      url: `${stack.apiUrl}/orders`,
      connections,
      duration: durationS,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(INSTANT_ORDER),
    });
    if (stack.api === null) throw new Error('the API is gone');
    return {
      requestsPerSecond: round(result.requests.total / result.duration, 0),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      maxMs: result.latency.max,
      errors: result.errors + result.timeouts + result.non2xx,
      peakRssMb: round(await peakRssMb(stack.api)),
    };
  } finally {
    await stack.dispose();
  }
}

export async function measureAcceptPath(options: {
  connections: number;
  durationS: number;
}): Promise<AcceptPathResult> {
  const withWorker = await measureApi(options.connections, options.durationS, true);
  const floor = await measureFloor(options.connections, options.durationS);
  const api = await measureApi(options.connections, options.durationS, false);
  return { withWorker, api, floor, ratio: round(api.requestsPerSecond / floor.opsPerSecond, 2) };
}
