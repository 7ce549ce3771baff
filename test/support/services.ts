import { randomUUID } from 'node:crypto';

/** Where the local services run (`npm run services:up`); override with the usual variables. */
export const services = {
  mongoUrl: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  rabbitmqUrl: process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  productServiceUrl: process.env.PRODUCT_SERVICE_URL ?? 'http://127.0.0.1:8081',
  userServiceUrl: process.env.USER_SERVICE_URL ?? 'http://127.0.0.1:8082',
};

/** The local Redis Cluster (`scripts/redis-cluster.sh`, started by `npm run services:up`). */
export const redisClusterNodes =
  process.env.REDIS_CLUSTER_NODES ?? '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003';

/** A name no other test run uses, so runs never see each other's data. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().slice(0, 8)}`;
}

/** Where a process finds the local services, with a database of its own. */
export function localServiceVariables(database: string): Record<string, string> {
  return {
    MONGO_URL: services.mongoUrl,
    MONGO_DB: database,
    MONGO_TIMEOUT_MS: '2000',
    REDIS_URL: services.redisUrl,
    RABBITMQ_URL: services.rabbitmqUrl,
  };
}

/**
 * The environment for an API or worker process of its own: a database, queue and exchange
 * no other run uses, on the local services.
 */
export function isolatedEnvironment(prefix: string): Record<string, string> {
  return {
    MONGO_DB: uniqueName(prefix),
    QUEUE_NAME: uniqueName(prefix),
    ORDERS_EXCHANGE: uniqueName(prefix),
    MONGO_URL: services.mongoUrl,
    REDIS_URL: services.redisUrl,
    RABBITMQ_URL: services.rabbitmqUrl,
    USER_SERVICE_URL: services.userServiceUrl,
    PRODUCT_SERVICE_URL: services.productServiceUrl,
  };
}
