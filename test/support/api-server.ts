import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { createApp } from '../../src/api/app.js';
import { createCreateOrderUseCase } from '../../src/api/orders/create-order-use-case.js';
import { mongoCheck, redisCheck } from '../../src/shared/observability/dependency-checks.js';
import type { MongoConnection } from '../../src/shared/persistence/mongo-connection.js';
import { createMongoIdempotencyStore } from '../../src/shared/persistence/mongo-idempotency-store.js';
import { createMongoOrderRepository } from '../../src/shared/persistence/mongo-order-repository.js';
import type { OrderQueue } from '../../src/shared/queue/order-queue.js';
import { testLogger } from './test-logger.js';

export interface ApiUnderTest {
  url: string;
  close(): Promise<void>;
}

/** Starts the real app on a free port, wired like main.ts but with the given store and queue. */
export async function startApi(options: {
  mongo: MongoConnection;
  queue: OrderQueue;
  redis: Redis;
  bodyLimitBytes?: number;
  isStopping?: () => boolean;
}): Promise<ApiUnderTest> {
  const orders = createMongoOrderRepository(options.mongo.db);
  const createOrder = createCreateOrderUseCase({
    orders,
    queue: options.queue,
    idempotencyKeys: createMongoIdempotencyStore(options.mongo.db),
    idempotencyKeyTtlMs: 24 * 3600_000,
    newId: randomUUID,
    clock: () => new Date(),
    logger: testLogger,
  });
  const app = createApp({
    createOrder,
    orders,
    bodyLimitBytes: options.bodyLimitBytes ?? 1024,
    readinessChecks: [mongoCheck(options.mongo.db), redisCheck(options.redis)],
    isStopping: options.isStopping ?? (() => false),
    logger: testLogger,
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => {
      resolve(listening);
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

export function postOrder(
  url: string,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Response> {
  return fetch(`${url}/orders`, { method: 'POST', headers, body });
}
