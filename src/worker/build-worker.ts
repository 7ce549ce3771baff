import { BullMQOtel } from 'bullmq-otel';
import type { WorkerConfig } from '../shared/config/config.js';
import { listen } from '../shared/lifecycle/listening-port.js';
import {
  createSettlementAnnouncer,
  withSettlementListener,
} from '../shared/long-poll/settlement-announcer.js';
import { settlementChannel } from '../shared/long-poll/settlement-channel.js';
import { createAmqpEventPublisher } from '../shared/messaging/amqp-event-publisher.js';
import { createProcessLogger } from '../shared/observability/log-metrics.js';
import type { Logger } from '../shared/observability/logger.js';
import { createMetricsRegistry } from '../shared/observability/metrics-registry.js';
import { flushTraces } from '../shared/observability/trace-context.js';
import { createMongoOrderRepository } from '../shared/persistence/mongo-order-repository.js';
import { createMongoOutboxStore } from '../shared/persistence/mongo-outbox-store.js';
import { prepareDatabase } from '../shared/persistence/prepare-database.js';
import { createOrderQueue } from '../shared/queue/order-queue.js';
import { runBackgroundWork } from './background-work.js';
import { closeWithin, createWorker, dependencyWaits } from './create-worker.js';
import { buildLookups } from './lookups/build-lookups.js';
import { createResourceBreakers } from './lookups/resource-breakers.js';
import { countedAndAnnounced, countedPublisher } from './observability/measured.js';
import { createWorkerMetrics } from './observability/worker-metrics.js';
import type { Readers } from './orders/look-up-order-details.js';
import { openWorkerConnections } from './worker-connections.js';
import { createWorkerOpsServer } from './worker-ops-server.js';
import { createWorkerUseCases } from './worker-use-cases.js';

/** What a caller may bring instead of the defaults. */
export interface WorkerOptions {
  logger?: Logger;
  /** Interface the operations port listens on; all of them when not given. */
  host?: string;
  /** The user and product lookups instead of the HTTP readers (see buildLookups). */
  readers?: Readers;
}

/**
 * The worker's composition: builds every dependency from the configuration and wires the
 * use cases, the BullMQ worker, the background work and the operations port. Jobs are taken,
 * and the background work runs, from `start` on; `stop` is SIGTERM's. `useCases` are the
 * wired use cases, for a caller that runs one of them itself (a test, a bench).
 */
export async function buildWorker(config: WorkerConfig, options: WorkerOptions = {}) {
  const registry = createMetricsRegistry();
  const logger = options.logger ?? createProcessLogger('worker', config.log, registry);

  const connections = openWorkerConnections(config, registry, logger);
  const { mongo, broker } = connections;
  const redis = connections.redis.commands;
  const storedOrders = createMongoOrderRepository(mongo.db, {
    settlementRetentionMs: config.settlementRetentionMs,
  });
  const outbox = createMongoOutboxStore(mongo.db, { leaseMs: config.outbox.leaseMs });
  const queue = createOrderQueue({
    name: config.queue.name,
    connection: redis,
    prefix: config.queue.prefix,
    retry: config.queue,
  });
  await prepareDatabase(mongo.db, ['orders', 'outbox'], logger);

  const breakers = createResourceBreakers(config.breaker, logger);
  const metrics = createWorkerMetrics(
    registry,
    {
      queueJobCounts: () => queue.jobCounts(),
      outboxBacklog: () => outbox.countWaiting(),
      breakerStates: () => breakers.states(),
      callsInFlight: () => lookups.callsInFlight(),
    },
    logger,
  );
  const lookups = buildLookups(config, { breakers, metrics, readers: options.readers });
  const announcer = createSettlementAnnouncer(redis, settlementChannel(config.queue.name));
  // Every settlement this worker wins is counted and announced to long-polling clients.
  const orders = withSettlementListener(
    storedOrders,
    countedAndAnnounced({ metrics, announcer, logger }),
  );
  const publisher = countedPublisher(
    createAmqpEventPublisher({
      link: broker,
      exchange: config.rabbitmq.exchange,
      producer: config.producer,
      confirmTimeoutMs: config.outbox.confirmTimeoutMs,
    }),
    metrics,
  );
  const clock = () => new Date();
  const useCases = createWorkerUseCases(config, {
    orders,
    outbox,
    publisher,
    queue,
    readUser: lookups.readUser,
    readProduct: lookups.readProduct,
    clock,
    logger,
  });

  const worker = createWorker({
    queueName: config.queue.name,
    connection: connections.redis.jobs,
    prefix: config.queue.prefix,
    concurrency: config.concurrency,
    processOrder: useCases.processOrder,
    dependencyWaitMs: dependencyWaits(config.breaker),
    onFirstRun: (waitedSeconds) => {
      metrics.jobTaken(waitedSeconds);
    },
    ...(config.tracing.enabled ? { telemetry: new BullMQOtel() } : {}),
    logger,
  });

  let stopping = false;
  const server = createWorkerOpsServer({
    registry,
    db: mongo.db,
    redis,
    broker,
    isStopping: () => stopping,
  });
  const background = new AbortController();

  async function start() {
    const port = await listen(server, { port: config.port, host: options.host });
    void worker.run().catch((error: unknown) => {
      logger.fatal({ err: error }, 'worker stopped unexpectedly');
      process.exit(1);
    });
    runBackgroundWork(config, {
      useCases,
      orders,
      metrics,
      clock,
      signal: background.signal,
      logger,
    });
    logger.info(
      { queue: config.queue.name, concurrency: config.concurrency, port },
      'worker started',
    );
    return { port };
  }

  async function stop(signal: string) {
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
    await Promise.allSettled([queue.close(), publisher.close(), lookups.close()]);
    await connections.close();
    await flushTraces();
    logger.info('stopped');
  }

  return { start, stop, logger, useCases };
}

export type BuiltWorker = Awaited<ReturnType<typeof buildWorker>>;
