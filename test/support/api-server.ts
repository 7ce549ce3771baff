import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { createApiMetrics } from '../../src/api/api-metrics.js';
import { createApp } from '../../src/api/app.js';
import { createCreateOrderUseCase } from '../../src/api/orders/create-order-use-case.js';
import { createGetOrderUseCase } from '../../src/api/orders/get-order-use-case.js';
import { createListOrdersUseCase } from '../../src/api/orders/list-orders-use-case.js';
import {
  createSettlementWaiter,
  settlementChannel,
} from '../../src/shared/notifications/settlement-notices.js';
import {
  mongoCheck,
  redisCheck,
  type DependencyCheck,
} from '../../src/shared/observability/dependency-checks.js';
import { createMetricsRegistry } from '../../src/shared/observability/metrics-registry.js';
import type { MongoConnection } from '../../src/shared/persistence/mongo-connection.js';
import { createMongoIdempotencyStore } from '../../src/shared/persistence/mongo-idempotency-store.js';
import {
  createMongoOrderRepository,
  ensureOrderIndexes,
} from '../../src/shared/persistence/mongo-order-repository.js';
import type { OrderQueue } from '../../src/shared/queue/order-queue.js';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { services } from './services.js';
import { testLogger } from './test-logger.js';

export interface ApiUnderTest {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the real app on a free port, wired like main.ts but with the given store and queue.
 * Settlements are announced on `settlementChannel(queueName)`.
 */
export async function startApi(options: {
  mongo: MongoConnection;
  queue: OrderQueue;
  queueName: string;
  redis: Redis;
  bodyLimitBytes?: number;
  /** Long-polls held at once at most (LONG_POLL_MAX_WAITERS). */
  maxWaiters?: number;
  isStopping?: () => boolean;
  extraChecks?: DependencyCheck[];
}): Promise<ApiUnderTest> {
  const orders = createMongoOrderRepository(options.mongo.db);
  await ensureOrderIndexes(options.mongo.db).catch(() => undefined); // some tests pass a dead store
  const subscriber = createRedisConnection(services.redisUrl, 'subscriber');
  const settlements = createSettlementWaiter(
    subscriber,
    settlementChannel(options.queueName),
    testLogger,
  );
  const createOrder = createCreateOrderUseCase({
    orders,
    queue: options.queue,
    idempotencyKeys: createMongoIdempotencyStore(options.mongo.db),
    idempotencyKeyTtlMs: 24 * 3600_000,
    newId: randomUUID,
    clock: () => new Date(),
    logger: testLogger,
  });
  const registry = createMetricsRegistry();
  const app = createApp({
    createOrder,
    getOrder: createGetOrderUseCase({
      orders,
      settlements,
      maxWaiters: options.maxWaiters ?? 1000,
    }),
    listOrders: createListOrdersUseCase({ orders }),
    bodyLimitBytes: options.bodyLimitBytes ?? 1024,
    readinessChecks: [
      mongoCheck(options.mongo.db, true),
      redisCheck(options.redis, false),
      ...(options.extraChecks ?? []),
    ],
    isStopping: options.isStopping ?? (() => false),
    registry,
    metrics: createApiMetrics(registry),
    adminBoard: null,
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
    close: async () => {
      await settlements.close();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

export function postOrder(
  url: string,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Response> {
  return fetch(`${url}/orders`, { method: 'POST', headers, body });
}
