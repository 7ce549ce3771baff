import type { Server } from 'node:http';
import type { Db } from 'mongodb';
import type { AmqpLink } from '../shared/messaging/amqp-link.js';
import {
  mongoCheck,
  rabbitmqCheck,
  redisCheck,
} from '../shared/observability/dependency-checks.js';
import { httpMetrics } from '../shared/observability/http-metrics.js';
import type { Registry } from '../shared/observability/metrics-registry.js';
import { createOpsServer } from '../shared/observability/ops-http.js';
import type { RedisConnection } from '../shared/queue/redis-connection.js';

/** The worker's operations port: metrics and readiness. */
export function createWorkerOpsServer(parts: {
  registry: Registry;
  db: Db;
  redis: RedisConnection;
  broker: AmqpLink;
  isStopping: () => boolean;
}): Server {
  return createOpsServer({
    registry: parts.registry,
    measureHttp: httpMetrics(parts.registry),
    // Without MongoDB or Redis the worker can do nothing; without the broker it still
    // settles orders, and the outbox keeps their events.
    readinessChecks: [
      mongoCheck(parts.db, true),
      redisCheck(parts.redis, true),
      rabbitmqCheck(parts.broker, false),
    ],
    isStopping: parts.isStopping,
  });
}
