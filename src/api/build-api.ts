import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiConfig } from '../shared/config/config.js';
import { listen } from '../shared/lifecycle/listening-port.js';
import { runPeriodically } from '../shared/lifecycle/run-periodically.js';
import { createAmqpLink } from '../shared/messaging/amqp-link.js';
import {
  createSettlementWaiter,
  settlementChannel,
} from '../shared/notifications/settlement-notices.js';
import {
  mongoCheck,
  rabbitmqCheck,
  redisCheck,
} from '../shared/observability/dependency-checks.js';
import { httpMetrics } from '../shared/observability/http-metrics.js';
import { createProcessLogger } from '../shared/observability/log-metrics.js';
import type { Logger } from '../shared/observability/logger.js';
import { createMetricsRegistry } from '../shared/observability/metrics-registry.js';
import { flushTraces } from '../shared/observability/trace-context.js';
import { countMongoCommands } from '../shared/observability/mongo-command-metrics.js';
import { watchEvictionPolicy } from '../shared/observability/redis-eviction-policy.js';
import { createMongoConnection } from '../shared/persistence/mongo-connection.js';
import {
  createMongoIdempotencyStore,
  ensureIdempotencyIndexes,
} from '../shared/persistence/mongo-idempotency-store.js';
import {
  createMongoOrderRepository,
  ensureOrderIndexes,
} from '../shared/persistence/mongo-order-repository.js';
import { createOrderQueue } from '../shared/queue/order-queue.js';
import { createRedisConnection } from '../shared/queue/redis-connection.js';
import { adminSignIn } from './admin/admin-sign-in.js';
import { createApiMetrics, type ApiMetrics } from './api-metrics.js';
import { createApp } from './app.js';
import { createApiKeyAuthenticator } from './auth/api-key-authenticator.js';
import type { Authenticator } from './auth/authenticator.js';
import { createJwtAuthenticator } from './auth/jwt-authenticator.js';
import { createOpsServer } from '../shared/observability/ops-http.js';
import { createCreateOrderUseCase } from './orders/create-order-use-case.js';
import { createLimitedServer } from './http/server-limits.js';
import { shedLoad } from './http/shed-load.js';
import { createGetOrderUseCase } from './orders/get-order-use-case.js';
import { createListOrdersUseCase } from './orders/list-orders-use-case.js';
import { authenticateOperator } from './redrive/authenticate-operator.js';
import { createRedriveFailedOrdersUseCase } from './redrive/redrive-failed-orders-use-case.js';
import { createRedriveOne } from './redrive/redrive-one.js';
import { createRedriveOrderUseCase } from './redrive/redrive-order-use-case.js';

const KEY_SWEEP_INTERVAL_MS = 10 * 60_000;
/** Capped by the kernel's net.core.somaxconn (4096 on current Linux). */
const LISTEN_BACKLOG = 4096;

/** The authenticator AUTH_MODE asks for; null for none. */
async function authenticatorFor(
  auth: ApiConfig['auth'],
  metrics: ApiMetrics,
): Promise<Authenticator | null> {
  switch (auth.mode) {
    case 'none':
      return null;
    case 'api-key':
      return createApiKeyAuthenticator(auth.keys);
    case 'jwt':
      return createJwtAuthenticator(auth, () => {
        metrics.keyFetchFailed();
      });
  }
}

/** A built API: `start` listens and begins its background work, `stop` is SIGTERM's. */
export interface BuiltApi {
  start: () => Promise<{ port: number; opsPort: number }>;
  stop: (reason: string) => Promise<void>;
  logger: Logger;
}

/** What a caller may bring instead of the defaults (tests: a quiet logger, a stopping flag). */
export interface ApiOptions {
  logger?: Logger;
  /** Interface to listen on; all of them when not given. */
  host?: string;
  /** Overrides the API's own stopping state (a test of what a stopping API answers). */
  isStopping?: () => boolean;
}

/**
 * The API's composition: builds every dependency from the configuration and wires the
 * use cases, the app and its two servers. Nothing listens or connects until `start`
 * (clients connect lazily on first use).
 */
export async function buildApi(config: ApiConfig, options: ApiOptions = {}): Promise<BuiltApi> {
  const registry = createMetricsRegistry();
  const logger = options.logger ?? createProcessLogger('api', config.log, registry);

  const mongo = createMongoConnection(config.mongo);
  countMongoCommands(mongo.client, registry);
  const redis = createRedisConnection(config.redis, 'producer');
  watchEvictionPolicy(redis, registry, logger);
  redis.on('error', (error) => {
    logger.warn({ err: error }, 'redis connection error');
  });
  const subscriber = createRedisConnection(config.redis, 'subscriber');
  subscriber.on('error', () => {
    // Reported by the producer connection above; this one reconnects and resubscribes.
  });
  // The API publishes nothing; it keeps one idle broker connection so readiness can report it.
  const broker = createAmqpLink({
    url: config.rabbitmq.url,
    exchange: config.rabbitmq.exchange,
    connectionName: 'order-service api',
    logger,
  });
  const orders = createMongoOrderRepository(mongo.db);
  const idempotencyKeys = createMongoIdempotencyStore(mongo.db);
  const queue = createOrderQueue({
    name: config.queue.name,
    connection: redis,
    prefix: config.queue.prefix,
    retry: config.queue,
  });
  Promise.all([ensureIdempotencyIndexes(mongo.db), ensureOrderIndexes(mongo.db)]).catch(
    (error: unknown) => {
      logger.warn({ err: error }, 'could not ensure indexes yet; queries still work, only slower');
    },
  );
  const settlements = createSettlementWaiter(
    subscriber,
    settlementChannel(config.queue.name),
    logger,
  );
  const signIn = config.admin === null ? null : adminSignIn(config.admin);
  // Loaded only when it is served: Bull Board and its UI weigh some 20 MB.
  const board =
    signIn === null
      ? null
      : (await import('./admin/queue-board.js')).queueBoard({
          queueName: config.queue.name,
          connection: redis,
          prefix: config.queue.prefix,
          signIn,
        });

  const createOrder = createCreateOrderUseCase({
    orders,
    queue,
    idempotencyKeys,
    idempotencyKeyTtlMs: config.idempotencyKeyTtlMs,
    newId: randomUUID,
    clock: () => new Date(),
    logger,
  });
  const apiMetrics = createApiMetrics(registry);
  const getOrder = createGetOrderUseCase({
    orders,
    settlements,
    maxWaiters: config.longPollMaxWaiters,
    onWaitersChanged: (count) => {
      apiMetrics.longPollsWaiting(count);
    },
  });
  const listOrders = createListOrdersUseCase({ orders });
  const authenticator = await authenticatorFor(config.auth, apiMetrics);
  const redriveOne = createRedriveOne({
    orders,
    queue,
    clock: () => new Date(),
    onRedriven: (failureCode) => {
      apiMetrics.orderRedriven(failureCode);
    },
    logger,
  });
  const redriveDependencies = {
    orders,
    redriveOne,
    idempotencyKeys,
    idempotencyKeyTtlMs: config.idempotencyKeyTtlMs,
    clock: () => new Date(),
  };
  const operator = authenticateOperator({ admin: signIn, authenticator });
  const redrive =
    operator === null
      ? null
      : {
          redriveOrder: createRedriveOrderUseCase(redriveDependencies),
          redriveFailedOrders: createRedriveFailedOrdersUseCase(redriveDependencies),
          operator,
        };
  if (authenticator === null) {
    logger.warn(
      'authentication is off (AUTH_MODE=none): anyone who reaches the API can create and read every order',
    );
  }
  // The API takes orders as long as MongoDB answers: without Redis they are queued by the
  // worker's recovery sweep, and it never talks to the broker.
  const readinessChecks = [
    mongoCheck(mongo.db, true),
    redisCheck(redis, false),
    rabbitmqCheck(broker, false),
  ];
  let stopping = false;
  const isStopping = options.isStopping ?? (() => stopping);
  // One histogram of request times for both servers of the process.
  const measureHttp = httpMetrics(registry);
  const app = createApp({
    createOrder,
    getOrder,
    listOrders,
    bodyLimitBytes: config.bodyLimitBytes,
    readinessChecks,
    isStopping,
    measureHttp,
    metrics: apiMetrics,
    adminBoard: board?.middleware ?? null,
    redrive,
    authenticator,
    trustProxy: config.trustProxy,
    logger,
  });
  // Metrics and detailed readiness: on their own port, which the compose file does not publish.
  const opsServer: Server = createOpsServer({
    registry,
    measureHttp,
    readinessChecks,
    isStopping,
  });

  const { server, overConnectionCap } = createLimitedServer({
    maxConnections: config.httpMaxConnections,
  });
  server.on(
    'request',
    shedLoad(app.callback(), { maxInFlight: config.httpMaxInFlight, overConnectionCap }, () => {
      apiMetrics.requestShed();
    }),
  );
  const background = new AbortController();

  async function start() {
    const opsPort = await listen(opsServer, { port: config.opsPort, host: options.host });
    // A deep accept queue: a burst of new connections waits in it instead of retrying its SYN.
    const port = await listen(server, {
      port: config.port,
      host: options.host,
      backlog: LISTEN_BACKLOG,
    });
    const ports = { port, opsPort };
    logger.info(
      { ...ports, queueBoard: config.admin !== null, auth: config.auth.mode },
      'api listening',
    );
    void runPeriodically(() => idempotencyKeys.deleteExpired(new Date()), {
      intervalMs: KEY_SWEEP_INTERVAL_MS,
      signal: background.signal,
      logger,
      name: 'delete expired idempotency keys',
    });
    const keyRefresh = authenticator?.background;
    if (keyRefresh !== undefined) {
      void runPeriodically(keyRefresh.run, {
        intervalMs: keyRefresh.intervalMs,
        signal: background.signal,
        logger,
        name: keyRefresh.name,
      });
    }
    return ports;
  }

  const stop = async (signal: string) => {
    logger.info(
      { signal, graceMs: config.shutdownGraceMs },
      'stopping: finishing in-flight requests',
    );
    stopping = true;
    background.abort();
    // Long-polls answer now with the order as it is, instead of holding the shutdown.
    await settlements.close();
    // close() stops accepting connections and resolves once in-flight requests are answered;
    // a connection still busy when the grace period ends is cut.
    const closed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      server.closeIdleConnections();
    });
    const late = await Promise.race([
      closed.then(() => false),
      sleep(config.shutdownGraceMs, true, { ref: false }),
    ]);
    if (late) {
      logger.warn('grace period over; closing the remaining connections');
      server.closeAllConnections();
    }
    opsServer.close();
    await Promise.allSettled([queue.close(), board?.close(), broker.close(), mongo.client.close()]);
    redis.disconnect();
    await flushTraces();
    logger.info('stopped');
  };
  return { start, stop, logger };
}
