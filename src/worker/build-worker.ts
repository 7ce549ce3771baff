import { BullMQOtel } from 'bullmq-otel';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { WorkerConfig } from '../shared/config/config.js';
import { listen } from '../shared/lifecycle/listening-port.js';
import { runPeriodically } from '../shared/lifecycle/run-periodically.js';
import { createAmqpEventPublisher } from '../shared/messaging/amqp-event-publisher.js';
import { createAmqpLink } from '../shared/messaging/amqp-link.js';
import {
  createSettlementAnnouncer,
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
  createMongoOrderRepository,
  ensureOrderIndexes,
} from '../shared/persistence/mongo-order-repository.js';
import {
  createMongoOutboxStore,
  ensureOutboxIndexes,
} from '../shared/persistence/mongo-outbox-store.js';
import { createOrderQueue } from '../shared/queue/order-queue.js';
import { closeRedis, createRedisConnection } from '../shared/queue/redis-connection.js';
import { closeWithin, createWorker } from './create-worker.js';
import { cachedReader } from './lookups/cached-reader.js';
import { createHttpPool } from './lookups/http-pool.js';
import { createResourceBreakers } from './lookups/resource-breakers.js';
import { createProductReader, createUserReader } from './lookups/services.js';
import { withBulkhead } from './lookups/bulkhead.js';
import {
  countedPublisher,
  measuredReader,
  withSettlementListener,
} from './observability/measured.js';
import { createOpsServer } from '../shared/observability/ops-http.js';
import { createWorkerMetrics } from './observability/worker-metrics.js';
import type { Readers } from './orders/look-up-order-details.js';
import { createProcessOrderUseCase } from './orders/process-order-use-case.js';
import { createRelayOutbox } from './outbox/relay-outbox.js';
import { createRecoverStrandedOrders } from './recovery/recover-stranded-orders.js';

/** Settlements expire by the minute; a pass every ten minutes deletes about ten buckets. */
const SETTLEMENT_SWEEP_INTERVAL_MS = 10 * 60_000;

/** What the order use case takes from the configuration. */
export function processOrderSettings(config: WorkerConfig) {
  return {
    lookupTimeouts: config.lookupTimeouts,
    producer: config.producer,
    eventLeaseMs: config.outbox.leaseMs,
    deadlineMs: config.orderDeadlineMs,
    newMessageId: randomUUID,
  };
}

/** How much the outbox relay takes per pass. */
export function relaySettings() {
  return { batchSize: 500 };
}

/** What the recovery sweep takes from the configuration. */
export function recoverySettings(config: WorkerConfig) {
  return {
    staleAfterMs: config.recoverySweepIntervalMs,
    deadlineMs: config.orderDeadlineMs,
    batchSize: 500,
    producer: config.producer,
    newMessageId: randomUUID,
  };
}

/** What a caller may bring instead of the defaults. */
export interface WorkerOptions {
  logger?: Logger;
  /** Interface the operations port listens on; all of them when not given. */
  host?: string;
  /**
   * The user and product lookups, instead of the HTTP readers on their own connection pools
   * (a test fences HTTP with nock, which sees requests made without a pool).
   */
  readers?: Readers;
}

/**
 * The worker's composition: builds every dependency from the configuration and wires the
 * use cases, the BullMQ worker, the background sweeps and the operations port. Jobs are
 * taken, and sweeps run, from `start` on; `stop` is SIGTERM's.
 */
export async function buildWorker(config: WorkerConfig, options: WorkerOptions = {}) {
  const registry = createMetricsRegistry();
  const logger = options.logger ?? createProcessLogger('worker', config.log, registry);

  const mongo = createMongoConnection(config.mongo);
  countMongoCommands(mongo.client, registry);
  // The BullMQ worker waits through Redis outages on its own connection; everything else
  // (the sweep's repairs, notices, readiness, metrics) fails fast on a second one.
  const redis = createRedisConnection(config.redis, 'worker');
  const redisCommands = createRedisConnection(config.redis, 'producer');
  redisCommands.on('error', () => {
    // Surfaces as failed commands (sweep, readiness); the connection retries by itself.
  });
  watchEvictionPolicy(redisCommands, registry, logger);
  const broker = createAmqpLink({
    url: config.rabbitmq.url,
    exchange: config.rabbitmq.exchange,
    connectionName: config.producer,
    logger,
  });
  const breakers = createResourceBreakers(config.breaker, logger);
  const storedOrders = createMongoOrderRepository(mongo.db, {
    settlementRetentionMs: config.settlementRetentionMs,
  });
  const outbox = createMongoOutboxStore(mongo.db, { leaseMs: config.outbox.leaseMs });
  const queue = createOrderQueue({
    name: config.queue.name,
    connection: redisCommands,
    prefix: config.queue.prefix,
    retry: config.queue,
  });
  await Promise.all([ensureOrderIndexes(mongo.db), ensureOutboxIndexes(mongo.db)]).catch(
    (error: unknown) => {
      logger.warn({ err: error }, 'could not ensure indexes yet; queries still work, only slower');
    },
  );

  const pools = { user: createHttpPool(), product: createHttpPool() };
  const bodies = { maxBodyBytes: config.lookupMaxBodyBytes };
  const maxInFlight = config.lookupMaxInFlight;
  const bulkheads = {
    user: withBulkhead(
      createUserReader(config.userServiceUrl, breakers, { ...bodies, pool: pools.user }),
      { dependency: 'user', maxInFlight },
    ),
    product: withBulkhead(
      createProductReader(config.productServiceUrl, breakers, { ...bodies, pool: pools.product }),
      { dependency: 'product', maxInFlight },
    ),
  };

  const metrics = createWorkerMetrics(
    registry,
    {
      queueJobCounts: () => queue.jobCounts(),
      outboxBacklog: () => outbox.countWaiting(),
      breakerStates: () => breakers.states(),
      callsInFlight: () => ({
        user: bulkheads.user.inFlight(),
        product: bulkheads.product.inFlight(),
      }),
    },
    logger,
  );
  const announcer = createSettlementAnnouncer(redisCommands, settlementChannel(config.queue.name));
  // Every settlement this worker wins is counted and announced to long-polling clients.
  const orders = withSettlementListener(storedOrders, {
    settled(order) {
      metrics.orderFinished(order);
      announcer.announce(order.id).catch((error: unknown) => {
        logger.debug({ err: error, orderId: order.id }, 'settlement not announced');
      });
    },
    missing: () => {
      metrics.settlementUnmatched();
    },
  });
  const publisher = countedPublisher(
    createAmqpEventPublisher({
      link: broker,
      exchange: config.rabbitmq.exchange,
      producer: config.producer,
      confirmTimeoutMs: config.outbox.confirmTimeoutMs,
    }),
    metrics,
  );

  const readers = options.readers ?? {
    readUser: bulkheads.user.read,
    readProduct: bulkheads.product.read,
  };
  const readUser = measuredReader(readers.readUser, 'user', metrics);
  const productReader = measuredReader(readers.readProduct, 'product', metrics);
  // Many orders name the same few products: remember them briefly and share calls.
  const readProduct =
    config.productCacheTtlMs > 0
      ? cachedReader(productReader, { ttlMs: config.productCacheTtlMs, maxEntries: 10_000 })
      : productReader;

  const clock = () => new Date();
  const processOrder = createProcessOrderUseCase({
    ...processOrderSettings(config),
    orders,
    outbox,
    readUser,
    readProduct,
    publisher,
    clock,
    logger,
  });

  const worker = createWorker({
    queueName: config.queue.name,
    connection: redis,
    prefix: config.queue.prefix,
    concurrency: config.concurrency,
    processOrder,
    dependencyWaitMs: {
      // A service's breaker lets a trial call through after its reset time: ask again then.
      service: config.breaker.resetTimeoutMs,
      // A bulkhead frees a place whenever one of its calls ends; a second is plenty.
      capacity: 1000,
      // A resource that answers some calls may answer the next: ask again after a short
      // backoff, no later than its breaker's trial call.
      resource: Math.min(2000, config.breaker.resetTimeoutMs),
    },
    onFirstRun: (waitedSeconds) => {
      metrics.jobTaken(waitedSeconds);
    },
    ...(config.tracing.enabled ? { telemetry: new BullMQOtel() } : {}),
    logger,
  });

  const relayOutbox = createRelayOutbox({ ...relaySettings(), outbox, publisher, clock, logger });
  const recoverStrandedOrders = createRecoverStrandedOrders({
    ...recoverySettings(config),
    orders,
    queue,
    clock,
    logger,
  });
  const background = new AbortController();

  let stopping = false;
  const server: Server = createOpsServer({
    registry,
    measureHttp: httpMetrics(registry),
    // Without MongoDB or Redis the worker can do nothing; without the broker it still
    // settles orders, and the outbox keeps their events.
    readinessChecks: [
      mongoCheck(mongo.db, true),
      redisCheck(redisCommands, true),
      rabbitmqCheck(broker, false),
    ],
    isStopping: () => stopping,
  });

  const stop = async (signal: string) => {
    logger.info(
      { signal, graceMs: config.shutdownGraceMs },
      'stopping: letting active jobs finish',
    );
    stopping = true;
    background.abort();
    await closeWithin(worker, config.shutdownGraceMs, logger);
    breakers.shutdown();
    server.close();
    server.closeAllConnections();
    await Promise.allSettled([
      queue.close(),
      publisher.close(),
      mongo.client.close(),
      // destroy, not close: abandoned jobs may still wait on 60 s answers.
      pools.user.destroy(),
      pools.product.destroy(),
    ]);
    await Promise.all([closeRedis(redis), closeRedis(redisCommands)]);
    await flushTraces();
    logger.info('stopped');
  };
  async function start() {
    const port = await listen(server, { port: config.port, host: options.host });
    runInBackground();
    logger.info(
      { queue: config.queue.name, concurrency: config.concurrency, port },
      'worker started',
    );
    return { port };
  }

  function runInBackground(): void {
    void worker.run().catch((error: unknown) => {
      logger.fatal({ err: error }, 'worker stopped unexpectedly');
      process.exit(1);
    });
    void runPeriodically(() => orders.deleteExpiredSettlements(clock()), {
      intervalMs: SETTLEMENT_SWEEP_INTERVAL_MS,
      signal: background.signal,
      logger,
      name: 'delete expired settlements',
    });
    void runPeriodically(relayOutbox, {
      intervalMs: config.outbox.relayIntervalMs,
      // Only a broker that refuses publishes makes it back off; a short cap gets the backlog
      // out within a few seconds of the broker's return.
      maxBackoffMs: 3 * config.outbox.relayIntervalMs,
      signal: background.signal,
      logger,
      name: 'outbox relay',
    });
    void runPeriodically(
      async () => {
        const counts = await recoverStrandedOrders();
        for (const [outcome, count] of Object.entries(counts)) {
          if (outcome !== 'present') metrics.strandedOrders(outcome, count);
        }
      },
      {
        intervalMs: config.recoverySweepIntervalMs,
        signal: background.signal,
        logger,
        name: 'recover stranded orders',
      },
    );
  }

  return { start, stop, logger, processOrder, relayOutbox, recoverStrandedOrders };
}

export type BuiltWorker = Awaited<ReturnType<typeof buildWorker>>;
