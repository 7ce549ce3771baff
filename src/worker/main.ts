import { randomUUID } from 'node:crypto';
import { ConfigError, loadWorkerConfig } from '../shared/config/config.js';
import { createAmqpEventPublisher } from '../shared/messaging/amqp-event-publisher.js';
import { stopOnSignals } from '../shared/lifecycle/stop-on-signals.js';
import { createLogger } from '../shared/observability/logger.js';
import { createMongoConnection } from '../shared/persistence/mongo-connection.js';
import {
  createMongoOrderRepository,
  ensureOrderIndexes,
} from '../shared/persistence/mongo-order-repository.js';
import { createOrderQueue } from '../shared/queue/order-queue.js';
import { createRedisConnection } from '../shared/queue/redis-connection.js';
import { closeWithin, createWorker } from './create-worker.js';
import { createResourceBreakers } from './lookups/resource-breakers.js';
import { createProductReader, createUserReader } from './lookups/services.js';
import { createProcessOrderUseCase } from './orders/process-order-use-case.js';
import { createRelayOutbox } from './outbox/relay-outbox.js';
import { createRecoverStrandedOrders } from './recovery/recover-stranded-orders.js';
import { runPeriodically } from '../shared/lifecycle/run-periodically.js';

/** Composition root of the worker: reads config, builds every dependency, starts. */
async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  const logger = createLogger({ name: 'worker', level: config.logLevel });

  const mongo = createMongoConnection(config.mongo);
  const redis = createRedisConnection(config.redis.url, 'worker');
  const publisher = createAmqpEventPublisher({
    url: config.rabbitmq.url,
    exchange: config.rabbitmq.exchange,
    producer: config.producer,
    logger,
  });
  const breakers = createResourceBreakers(config.breaker, logger);
  const orders = createMongoOrderRepository(mongo.db);
  const queue = createOrderQueue({
    name: config.queue.name,
    connection: redis,
    retry: config.queue,
  });
  await ensureOrderIndexes(mongo.db).catch((error: unknown) => {
    logger.warn({ err: error }, 'could not ensure indexes yet; queries still work, only slower');
  });

  const clock = () => new Date();
  const processOrder = createProcessOrderUseCase({
    orders,
    readUser: createUserReader(config.userServiceUrl, breakers),
    readProduct: createProductReader(config.productServiceUrl, breakers),
    publisher,
    lookupTimeouts: config.lookupTimeouts,
    producer: config.producer,
    eventLeaseMs: config.outbox.leaseMs,
    deadlineMs: config.orderDeadlineMs,
    newMessageId: randomUUID,
    clock,
    logger,
  });

  const worker = createWorker({
    queueName: config.queue.name,
    connection: redis,
    concurrency: config.concurrency,
    processOrder,
    logger,
  });

  const relayOutbox = createRelayOutbox({
    orders,
    publisher,
    leaseMs: config.outbox.leaseMs,
    batchSize: 200,
    clock,
    logger,
  });
  const recoverStrandedOrders = createRecoverStrandedOrders({
    orders,
    queue,
    staleAfterMs: config.recoverySweepIntervalMs,
    deadlineMs: config.orderDeadlineMs,
    batchSize: 500,
    clock,
    logger,
  });
  const background = new AbortController();

  const stop = async (signal: string) => {
    logger.info(
      { signal, graceMs: config.shutdownGraceMs },
      'stopping: letting active jobs finish',
    );
    background.abort();
    await closeWithin(worker, config.shutdownGraceMs, logger);
    breakers.shutdown();
    await Promise.allSettled([queue.close(), publisher.close(), mongo.client.close()]);
    await redis.quit().catch(() => undefined);
    logger.info('stopped');
  };
  stopOnSignals(stop, logger);

  void worker.run().catch((error: unknown) => {
    logger.fatal({ err: error }, 'worker stopped unexpectedly');
    process.exit(1);
  });
  void runPeriodically(relayOutbox, {
    intervalMs: config.outbox.relayIntervalMs,
    maxBackoffMs: 10 * config.outbox.relayIntervalMs,
    signal: background.signal,
    logger,
    name: 'outbox relay',
  });
  void runPeriodically(recoverStrandedOrders, {
    intervalMs: config.recoverySweepIntervalMs,
    signal: background.signal,
    logger,
    name: 'recover stranded orders',
  });
  logger.info({ queue: config.queue.name, concurrency: config.concurrency }, 'worker started');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
