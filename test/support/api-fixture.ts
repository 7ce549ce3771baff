import { Queue } from 'bullmq';
import {
  createMongoConnection,
  type MongoConnection,
} from '../../src/shared/persistence/mongo-connection.js';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { apiEnvironment, startApi, type ApiUnderTest } from './api-server.js';
import { dropRunData } from './run-data.js';
import { services, uniqueName } from './services.js';

export interface ApiFixture {
  queueName: string;
  /** The API's configuration variables. */
  env: Record<string, string>;
  /** The API's database, for the test's own reads and writes. */
  mongo: MongoConnection;
  /** Reads the queue the API adds jobs to (no worker takes them). */
  inspector: Queue;
  api: ApiUnderTest;
}

/**
 * Registers before/after hooks that run the real API, built as its process builds it, on a
 * database and queue of its own on the real services, and returns the fixture they fill in.
 */
export function useApi(
  name: string,
  options: {
    /** More variables, made in the before hook (a JWKS server may have to start first). */
    env?: () => Promise<Record<string, string>> | Record<string, string>;
  } = {},
): ApiFixture {
  const fixture = { queueName: uniqueName(name) } as ApiFixture;
  const database = uniqueName(name);
  before(async () => {
    fixture.env = apiEnvironment(
      { database, queueName: fixture.queueName },
      (await options.env?.()) ?? {},
    );
    fixture.mongo = createMongoConnection({
      url: services.mongoUrl,
      database,
      timeoutMs: 2000,
    });
    fixture.inspector = new Queue(fixture.queueName, {
      connection: createRedisConnection(services.redisUrl, 'worker'),
    });
    fixture.api = await startApi(fixture.env);
  });
  after(async () => {
    await fixture.api.close();
    await fixture.inspector.close();
    await fixture.mongo.client.close();
    await dropRunData({ database, queueName: fixture.queueName });
  });
  return fixture;
}

/** A second API on the fixture's queue whose store cannot be reached, for `use`. */
export async function withUnreachableStore(
  fixture: ApiFixture,
  use: (url: string, opsUrl: string) => Promise<void>,
): Promise<void> {
  const api = await startApi({
    ...fixture.env,
    MONGO_URL: 'mongodb://127.0.0.1:1',
    MONGO_TIMEOUT_MS: '300',
  });
  try {
    await use(api.url, api.opsUrl);
  } finally {
    await api.close();
  }
}

/** A second API on the fixture's store and queue that is shutting down, for `use`. */
export async function withStoppingApi(
  fixture: ApiFixture,
  use: (url: string, opsUrl: string) => Promise<void>,
): Promise<void> {
  const api = await startApi(fixture.env, { isStopping: () => true });
  try {
    await use(api.url, api.opsUrl);
  } finally {
    await api.close();
  }
}
