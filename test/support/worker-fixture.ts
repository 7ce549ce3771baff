import { Queue } from 'bullmq';
import { loadWorkerConfig, type WorkerConfig } from '../../src/shared/config/config.js';
import type { Logger } from '../../src/shared/observability/logger.js';
import {
  createMongoConnection,
  type MongoConnection,
} from '../../src/shared/persistence/mongo-connection.js';
import { createMongoOrderRepository } from '../../src/shared/persistence/mongo-order-repository.js';
import type { OrderRepository } from '../../src/shared/persistence/order-repository.js';
import { createOrderQueue, type OrderQueue } from '../../src/shared/queue/order-queue.js';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { buildWorker, type BuiltWorker } from '../../src/worker/build-worker.js';
import type { Readers } from '../../src/worker/orders/look-up-order-details.js';
import { dropQueue } from './queues.js';
import { dropRunData } from './run-data.js';
import { localServiceVariables, services, uniqueName } from './services.js';
import { testLogger } from './test-logger.js';

/** The wired use cases of a built worker: what its jobs and background work run. */
export type WorkerUseCases = BuiltWorker['useCases'];

/** A worker's queue as the API and an operator see it. */
export interface QueueSides {
  /** Adds jobs as the API does, with the worker's retry settings. */
  queue: OrderQueue;
  /** Reads the jobs (state, attempts, data). */
  inspector: Queue;
}

export interface WorkerFixture extends QueueSides {
  database: string;
  queueName: string;
  /** The exchange the worker publishes its events to. */
  exchange: string;
  /** The worker's configuration variables. */
  env: Record<string, string>;
  /** The worker's database, for the test's own reads and writes. */
  mongo: MongoConnection;
  /** The orders in that database, as the API stores them and the worker reads them. */
  orders: OrderRepository;
  /** The user and product lookups the worker was given instead of the HTTP readers, if any. */
  readers: Readers | undefined;
  worker: BuiltWorker;
  /** The worker's use cases, wired as its process wires them. */
  useCases: WorkerUseCases;
  /** Its operations port (/metrics, /health/ready) once started; '' when it was not. */
  opsUrl: string;
}

/**
 * The variables of a worker on the local services, on `names` of its own; `env` adds or
 * overrides any of them. The relay and the recovery sweep wait an hour between runs: a test
 * runs them itself, when it means to.
 */
export function workerEnvironment(
  names: { database: string; queueName: string; exchange: string },
  env: Record<string, string> = {},
): Record<string, string> {
  return {
    ...localServiceVariables(names.database),
    QUEUE_NAME: names.queueName,
    ORDERS_EXCHANGE: names.exchange,
    WORKER_PORT: '0',
    // Each test counts its own calls: no product answer is shared between them.
    PRODUCT_CACHE_TTL: '0',
    OUTBOX_RELAY_INTERVAL_MS: '3600000',
    RECOVERY_SWEEP_INTERVAL_MS: '3600000',
    SHUTDOWN_GRACE_MS: '2000',
    ...env,
  };
}

/** The queue `config` names, as the API adds to it and as an operator reads it. */
function queueSides(config: WorkerConfig): QueueSides & { close: () => Promise<void> } {
  const redis = createRedisConnection(services.redisUrl, 'worker');
  const { name, prefix } = config.queue;
  const queue = createOrderQueue({ name, connection: redis, prefix, retry: config.queue });
  const inspector = new Queue(name, { connection: redis, prefix });
  return {
    queue,
    inspector,
    close: async () => {
      await Promise.all([queue.close(), inspector.close()]);
      redis.disconnect();
    },
  };
}

/** Builds the worker exactly as its process does, and starts it unless told not to. */
async function builtWorker(
  config: WorkerConfig,
  options: { readers?: Readers | undefined; logger?: Logger; start?: boolean },
): Promise<{ worker: BuiltWorker; opsUrl: string }> {
  const worker = await buildWorker(config, {
    logger: options.logger ?? testLogger,
    host: '127.0.0.1',
    ...(options.readers === undefined ? {} : { readers: options.readers }),
  });
  if (options.start === false) return { worker, opsUrl: '' };
  const { port } = await worker.start();
  return { worker, opsUrl: `http://127.0.0.1:${String(port)}` };
}

/**
 * Registers before/after hooks that build the real worker with `buildWorker`, as its process
 * builds it, on a database, queue and exchange of its own on the real services, and returns
 * the fixture they fill in. Started, it takes the jobs of its queue; with `start: false` it
 * only offers its use cases. After the suite it is stopped, and its database and queue dropped.
 */
export function useWorker(
  name: string,
  options: {
    /** More variables, made in the before hook. */
    env?: () => Promise<Record<string, string>> | Record<string, string>;
    /** The lookups instead of the HTTP readers (nock does not see their connection pools). */
    readers?: () => Readers;
    /** Whether it takes jobs (and runs its background work); true unless told. */
    start?: boolean;
  } = {},
): WorkerFixture {
  const fixture = {
    database: uniqueName(name),
    queueName: uniqueName(name),
    exchange: uniqueName(name),
  } as WorkerFixture;
  let closeQueue: (() => Promise<void>) | undefined;
  before(async () => {
    fixture.env = workerEnvironment(fixture, (await options.env?.()) ?? {});
    const config = loadWorkerConfig(fixture.env);
    fixture.mongo = createMongoConnection({
      url: services.mongoUrl,
      database: fixture.database,
      timeoutMs: 2000,
    });
    fixture.orders = createMongoOrderRepository(fixture.mongo.db);
    const sides = queueSides(config);
    ({ queue: fixture.queue, inspector: fixture.inspector } = sides);
    closeQueue = sides.close;
    fixture.readers = options.readers?.();
    const built = await builtWorker(config, { readers: fixture.readers, start: options.start });
    fixture.worker = built.worker;
    fixture.useCases = built.worker.useCases;
    fixture.opsUrl = built.opsUrl;
  });
  after(async () => {
    await fixture.worker.stop('test over');
    await closeQueue?.();
    await fixture.mongo.client.close();
    await dropRunData(fixture);
  });
  return fixture;
}

/** Another worker, for `use`: its use cases, its queue's two sides, its operations port. */
export interface OtherWorker extends QueueSides {
  worker: BuiltWorker;
  useCases: WorkerUseCases;
  opsUrl: string;
}

/**
 * Another worker on the fixture's database, queue and exchange, with `env` on top of the
 * fixture's variables (another queue, exchange, lease, deadline, broker, …), built as its
 * process builds it, for `use`; then stopped, and its queue dropped when it was not the
 * fixture's. It is not started unless asked: it then takes no job and runs no background
 * work, and only offers its use cases. Its lookups are the fixture's unless `readers` says.
 */
export async function withWorker<T>(
  fixture: WorkerFixture,
  options: { env?: Record<string, string>; readers?: Readers; logger?: Logger; start?: boolean },
  use: (other: OtherWorker) => Promise<T>,
): Promise<T> {
  const config = loadWorkerConfig({ ...fixture.env, ...options.env });
  const sides = queueSides(config);
  const { worker, opsUrl } = await builtWorker(config, {
    readers: options.readers ?? fixture.readers,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    start: options.start ?? false,
  });
  try {
    return await use({ worker, useCases: worker.useCases, opsUrl, ...sides });
  } finally {
    await worker.stop('test over');
    await sides.close();
    if (config.queue.name !== fixture.queueName) await dropQueue(config.queue.name);
  }
}
