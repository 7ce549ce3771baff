import type { ApiConfig } from '../shared/config/config.js';
import { createAmqpLink } from '../shared/messaging/amqp-link.js';
import type { Logger } from '../shared/observability/logger.js';
import type { Registry } from '../shared/observability/metrics-registry.js';
import { countMongoCommands } from '../shared/observability/mongo-command-metrics.js';
import { watchEvictionPolicy } from '../shared/observability/redis-eviction-policy.js';
import { createMongoConnection } from '../shared/persistence/mongo-connection.js';
import { createRedisConnection } from '../shared/queue/redis-connection.js';

/** The API's connections to MongoDB, Redis and the broker; each connects on first use. */
export function openApiConnections(config: ApiConfig, registry: Registry, logger: Logger) {
  const mongo = createMongoConnection(config.mongo);
  countMongoCommands(mongo.client, registry);
  const redis = createRedisConnection(config.redis, 'producer');
  watchEvictionPolicy(redis, registry, logger);
  redis.on('error', (error) => {
    logger.warn({ err: error }, 'redis connection error');
  });
  // A subscribed connection can do nothing else: settlements are heard on one of their own.
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
  return {
    mongo,
    redis,
    subscriber,
    broker,
    async close() {
      await Promise.allSettled([broker.close(), mongo.client.close()]);
      redis.disconnect();
    },
  };
}
