import type { WorkerConfig } from '../shared/config/config.js';
import { createAmqpLink } from '../shared/messaging/amqp-link.js';
import type { Logger } from '../shared/observability/logger.js';
import type { Registry } from '../shared/observability/metrics-registry.js';
import { countMongoCommands } from '../shared/observability/mongo-command-metrics.js';
import { watchEvictionPolicy } from '../shared/observability/redis-eviction-policy.js';
import { createMongoConnection } from '../shared/persistence/mongo-connection.js';
import { closeRedis, createRedisConnection } from '../shared/queue/redis-connection.js';

/** The worker's connections to MongoDB, Redis and the broker; each connects on first use. */
export function openWorkerConnections(config: WorkerConfig, registry: Registry, logger: Logger) {
  const mongo = createMongoConnection(config.mongo);
  countMongoCommands(mongo.client, registry);
  // The BullMQ worker waits through Redis outages on its own connection; everything else
  // (the sweep's repairs, notices, readiness, metrics) fails fast on a second one.
  const jobs = createRedisConnection(config.redis, 'worker');
  const commands = createRedisConnection(config.redis, 'producer');
  commands.on('error', () => {
    // Surfaces as failed commands (sweep, readiness); the connection retries by itself.
  });
  watchEvictionPolicy(commands, registry, logger);
  const broker = createAmqpLink({
    url: config.rabbitmq.url,
    exchange: config.rabbitmq.exchange,
    connectionName: config.producer,
    logger,
  });
  return {
    mongo,
    redis: { jobs, commands },
    broker,
    /** Closes MongoDB and Redis; the broker link is closed by the publisher that uses it. */
    async close() {
      await mongo.client.close().catch(() => undefined);
      await Promise.all([closeRedis(jobs), closeRedis(commands)]);
    },
  };
}
