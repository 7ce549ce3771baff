import type { ApiConfig } from '../shared/config/config.js';
import { listen } from '../shared/lifecycle/listening-port.js';
import { settlementChannel } from '../shared/long-poll/settlement-channel.js';
import { createSettlementWaiter } from '../shared/long-poll/settlement-waiter.js';
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
import { createMongoIdempotencyStore } from '../shared/persistence/mongo-idempotency-store.js';
import { createMongoOrderRepository } from '../shared/persistence/mongo-order-repository.js';
import { prepareDatabase } from '../shared/persistence/prepare-database.js';
import { createOrderQueue } from '../shared/queue/order-queue.js';
import { adminSignIn } from './admin/admin-sign-in.js';
import { loadQueueBoard } from './admin/load-queue-board.js';
import { openApiConnections } from './api-connections.js';
import { createApiMetrics } from './api-metrics.js';
import { createApiUseCases } from './api-use-cases.js';
import { createApp } from './app.js';
import { runBackgroundWork } from './background-work.js';
import { authenticatorFor } from './auth/authenticator-for.js';
import { createPublicServer } from './http/public-server.js';
import { createOpsServer } from '../shared/observability/ops-http.js';
import { authenticateOperator } from './redrive/authenticate-operator.js';

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

  const connections = openApiConnections(config, registry, logger);
  const { mongo, redis, broker } = connections;
  const idempotencyKeys = createMongoIdempotencyStore(mongo.db);
  const queue = createOrderQueue({
    name: config.queue.name,
    connection: redis,
    prefix: config.queue.prefix,
    retry: config.queue,
  });
  void prepareDatabase(mongo.db, ['idempotency', 'orders'], logger);
  const settlements = createSettlementWaiter(
    connections.subscriber,
    settlementChannel(config.queue.name),
    logger,
  );
  const signIn = config.admin === null ? null : adminSignIn(config.admin);
  const board = signIn === null ? null : await loadQueueBoard(config.queue, redis, signIn);
  const apiMetrics = createApiMetrics(registry);
  const authenticator = await authenticatorFor(config.auth, {
    onKeyFetchFailed: () => {
      apiMetrics.keyFetchFailed();
    },
    logger,
  });
  const { acceptOrder, getOrder, listOrders, redrive } = createApiUseCases(config, {
    orders: createMongoOrderRepository(mongo.db),
    idempotencyKeys,
    queue,
    settlements,
    operator: authenticateOperator({ admin: signIn, authenticator }),
    metrics: apiMetrics,
    logger,
  });
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
    acceptOrder,
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
  const opsServer = createOpsServer({
    registry,
    measureHttp,
    readinessChecks,
    isStopping,
  });

  const server = createPublicServer(
    app.callback(),
    {
      maxConnections: config.httpMaxConnections,
      maxInFlight: config.httpMaxInFlight,
      shutdownGraceMs: config.shutdownGraceMs,
    },
    {
      onShed: () => {
        apiMetrics.requestShed();
      },
      logger,
    },
  );
  const background = new AbortController();

  async function start() {
    const opsPort = await listen(opsServer, { port: config.opsPort, host: options.host });
    const port = await server.listen({ port: config.port, host: options.host });
    const ports = { port, opsPort };
    logger.info(
      { ...ports, queueBoard: config.admin !== null, auth: config.auth.mode },
      'api listening',
    );
    runBackgroundWork({ idempotencyKeys, authenticator, signal: background.signal, logger });
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
    await server.close();
    opsServer.close();
    await Promise.allSettled([queue.close(), board?.close()]);
    await connections.close();
    await flushTraces();
    logger.info('stopped');
  };
  return { start, stop, logger };
}
