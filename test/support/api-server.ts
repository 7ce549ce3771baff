import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { createApiMetrics } from '../../src/api/api-metrics.js';
import { createApp } from '../../src/api/app.js';
import type { Authenticator } from '../../src/api/auth/authenticator.js';
import { createOpsHttp } from '../../src/shared/observability/ops-http.js';
import type Koa from 'koa';
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
import { httpMetrics } from '../../src/shared/observability/http-metrics.js';
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
  /** The operations side: /metrics and detailed /health/ready. */
  opsUrl: string;
  close(): Promise<void>;
}

async function listenLocally(app: {
  listen: Koa['listen'];
}): Promise<{ server: Server; url: string }> {
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => {
      resolve(listening);
    });
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

function closed(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeIdleConnections();
  });
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
  authenticator?: Authenticator | null;
  trustProxy?: boolean;
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
  const measureHttp = httpMetrics(registry);
  const readinessChecks = [
    mongoCheck(options.mongo.db, true),
    redisCheck(options.redis, false),
    ...(options.extraChecks ?? []),
  ];
  const isStopping = options.isStopping ?? (() => false);
  const app = createApp({
    createOrder,
    getOrder: createGetOrderUseCase({
      orders,
      settlements,
      maxWaiters: options.maxWaiters ?? 1000,
    }),
    listOrders: createListOrdersUseCase({ orders }),
    bodyLimitBytes: options.bodyLimitBytes ?? 1024,
    readinessChecks,
    isStopping,
    measureHttp,
    metrics: createApiMetrics(registry),
    adminBoard: null,
    authenticator: options.authenticator ?? null,
    trustProxy: options.trustProxy ?? false,
    logger: testLogger,
  });
  const publicSide = await listenLocally(app);
  const opsSide = await listenLocally(
    createOpsHttp({ registry, measureHttp, readinessChecks, isStopping }),
  );
  return {
    url: publicSide.url,
    opsUrl: opsSide.url,
    close: async () => {
      await settlements.close();
      await Promise.all([closed(publicSide.server), closed(opsSide.server)]);
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
