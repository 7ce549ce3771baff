import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { ConfigError, loadApiConfig } from '../shared/config/config.js';
import { stopOnSignals } from '../shared/lifecycle/stop-on-signals.js';
import { createLogger } from '../shared/observability/logger.js';
import { createMongoConnection } from '../shared/persistence/mongo-connection.js';
import { createMongoOrderRepository } from '../shared/persistence/mongo-order-repository.js';
import { createOrderQueue } from '../shared/queue/order-queue.js';
import { createRedisConnection } from '../shared/queue/redis-connection.js';
import { createApp } from './app.js';
import { createCreateOrderUseCase } from './orders/create-order-use-case.js';

/** Composition root of the API: reads config, builds every dependency, listens. */
function main(): void {
  const config = loadApiConfig(process.env);
  const logger = createLogger({ name: 'api', level: config.logLevel });

  const mongo = createMongoConnection(config.mongo);
  const redis = createRedisConnection(config.redis.url, 'producer');
  redis.on('error', (error) => {
    logger.warn({ err: error }, 'redis connection error');
  });
  const orders = createMongoOrderRepository(mongo.db);
  const queue = createOrderQueue({
    name: config.queue.name,
    connection: redis,
    retry: config.queue,
  });

  const createOrder = createCreateOrderUseCase({
    orders,
    queue,
    newId: randomUUID,
    clock: () => new Date(),
    logger,
  });
  const app = createApp({ createOrder, orders, bodyLimitBytes: config.bodyLimitBytes, logger });

  const server: Server = app.listen(config.port, () => {
    const address = server.address();
    logger.info(
      { port: typeof address === 'object' && address !== null ? address.port : config.port },
      'api listening',
    );
  });

  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping: finishing in-flight requests');
    await new Promise<void>((resolve) => {
      // close() stops accepting and resolves once in-flight requests are answered.
      server.close(() => {
        resolve();
      });
      server.closeIdleConnections();
    });
    await Promise.allSettled([queue.close(), mongo.client.close()]);
    redis.disconnect();
    logger.info('stopped');
  };
  stopOnSignals(stop, logger);
}

try {
  main();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
