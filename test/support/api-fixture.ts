import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  createMongoConnection,
  type MongoConnection,
} from '../../src/shared/persistence/mongo-connection.js';
import { createOrderQueue, type OrderQueue } from '../../src/shared/queue/order-queue.js';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import type { Authenticator } from '../../src/api/auth/authenticator.js';
import { startApi, type ApiUnderTest } from './api-server.js';
import { services, uniqueName } from './services.js';

export interface ApiFixture {
  queueName: string;
  mongo: MongoConnection;
  redis: Redis;
  queue: OrderQueue;
  /** Reads the queue the API adds jobs to (no worker takes them). */
  inspector: Queue;
  api: ApiUnderTest;
}

/**
 * Registers before/after hooks that run the real app against its own database and queue on
 * the real services, and returns the fixture they fill in.
 */
export function useApi(
  name: string,
  options: {
    bodyLimitBytes?: number;
    maxWaiters?: number;
    retry?: { attempts: number; retryBaseDelayMs: number };
    /** Made in the before hook (a JWKS server may have to start first); none: no authentication. */
    authenticator?: () => Promise<Authenticator>;
  } = {},
): ApiFixture {
  const fixture = { queueName: uniqueName(name) } as ApiFixture;
  before(async () => {
    fixture.mongo = createMongoConnection({
      url: services.mongoUrl,
      database: uniqueName(name),
      timeoutMs: 2000,
    });
    fixture.redis = createRedisConnection(services.redisUrl, 'producer');
    fixture.queue = createOrderQueue({
      name: fixture.queueName,
      connection: fixture.redis,
      retry: options.retry ?? { attempts: 3, retryBaseDelayMs: 100 },
    });
    fixture.inspector = new Queue(fixture.queueName, {
      connection: createRedisConnection(services.redisUrl, 'worker'),
    });
    fixture.api = await startApi({
      mongo: fixture.mongo,
      queue: fixture.queue,
      queueName: fixture.queueName,
      redis: fixture.redis,
      ...(options.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: options.bodyLimitBytes }),
      ...(options.maxWaiters === undefined ? {} : { maxWaiters: options.maxWaiters }),
      authenticator: options.authenticator === undefined ? null : await options.authenticator(),
    });
  });
  after(async () => {
    await fixture.api.close();
    await fixture.inspector.obliterate({ force: true });
    await fixture.inspector.close();
    await fixture.queue.close();
    fixture.redis.disconnect();
    await fixture.mongo.db.dropDatabase();
    await fixture.mongo.client.close();
  });
  return fixture;
}

/** A second app on the fixture's queue whose store cannot be reached, for `use`. */
export async function withUnreachableStore(
  fixture: ApiFixture,
  use: (url: string, opsUrl: string) => Promise<void>,
): Promise<void> {
  const unreachable = createMongoConnection({
    url: 'mongodb://127.0.0.1:1',
    database: 'unreachable',
    timeoutMs: 300,
  });
  const api = await startApi({
    mongo: unreachable,
    queue: fixture.queue,
    queueName: fixture.queueName,
    redis: fixture.redis,
  });
  try {
    await use(api.url, api.opsUrl);
  } finally {
    await api.close();
    await unreachable.client.close();
  }
}

/** A second app on the fixture's store and queue that is shutting down, for `use`. */
export async function withStoppingApi(
  fixture: ApiFixture,
  use: (url: string, opsUrl: string) => Promise<void>,
): Promise<void> {
  const api = await startApi({
    mongo: fixture.mongo,
    queue: fixture.queue,
    queueName: fixture.queueName,
    redis: fixture.redis,
    isStopping: () => true,
  });
  try {
    await use(api.url, api.opsUrl);
  } finally {
    await api.close();
  }
}
