import { randomUUID } from 'node:crypto';
import type { ApiConfig } from '../shared/config/config.js';
import type { SettlementWaiter } from '../shared/long-poll/settlement-waiter.js';
import type { Logger } from '../shared/observability/logger.js';
import type { IdempotencyStore } from '../shared/persistence/idempotency-store.js';
import type { OrderRepository } from '../shared/persistence/order-repository.js';
import type { OrderQueue } from '../shared/queue/order-queue.js';
import type { ApiMetrics } from './api-metrics.js';
import { createRunOnce } from './idempotency/run-once.js';
import { createAcceptOrderUseCase } from './orders/accept-order-use-case.js';
import { createGetOrderUseCase } from './orders/get-order-use-case.js';
import { createListOrdersUseCase } from './orders/list-orders-use-case.js';
import type { authenticateOperator } from './redrive/authenticate-operator.js';
import { createRedriveFailedOrdersUseCase } from './redrive/redrive-failed-orders-use-case.js';
import { createRedriveOne } from './redrive/redrive-one.js';
import { createRedriveOrderUseCase } from './redrive/redrive-order-use-case.js';

export interface ApiAdapters {
  orders: OrderRepository;
  idempotencyKeys: IdempotencyStore;
  queue: OrderQueue;
  settlements: SettlementWaiter;
  /** Who may re-drive; null when nobody may (no sign-in and no authentication). */
  operator: ReturnType<typeof authenticateOperator>;
  metrics: ApiMetrics;
  logger: Logger;
}

/** The API's use cases, on the adapters given and the configuration's settings. */
export function createApiUseCases(config: ApiConfig, adapters: ApiAdapters) {
  const { orders, idempotencyKeys, queue, settlements, operator, metrics, logger } = adapters;
  // One home for Idempotency-Keys, shared by every use case that takes one.
  const runOnce = createRunOnce({ keys: idempotencyKeys, keyTtlMs: config.idempotencyKeyTtlMs });
  const acceptOrder = createAcceptOrderUseCase({
    orders,
    queue,
    runOnce,
    newId: randomUUID,
    clock: () => new Date(),
    logger,
  });
  const getOrder = createGetOrderUseCase({
    orders,
    settlements,
    maxWaiters: config.longPollMaxWaiters,
    onWaitersChanged: (count) => {
      metrics.longPollsWaiting(count);
    },
  });
  const listOrders = createListOrdersUseCase({ orders });
  const redriveOne = createRedriveOne({
    orders,
    queue,
    clock: () => new Date(),
    onRedriven: (failureCode) => {
      metrics.orderRedriven(failureCode);
    },
    logger,
  });
  const redriveDependencies = {
    orders,
    redriveOne,
    runOnce,
    clock: () => new Date(),
  };
  const redrive =
    operator === null
      ? null
      : {
          redriveOrder: createRedriveOrderUseCase(redriveDependencies),
          redriveFailedOrders: createRedriveFailedOrdersUseCase(redriveDependencies),
          operator,
        };
  return { acceptOrder, getOrder, listOrders, redrive };
}
