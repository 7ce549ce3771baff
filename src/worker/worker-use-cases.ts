import { randomUUID } from 'node:crypto';
import type { WorkerConfig } from '../shared/config/config.js';
import type { EventPublisher } from '../shared/messaging/event-publisher.js';
import type { Logger } from '../shared/observability/logger.js';
import type { OrderRepository } from '../shared/persistence/order-repository.js';
import type { OutboxStore } from '../shared/persistence/outbox-store.js';
import type { OrderQueue } from '../shared/queue/order-queue.js';
import type { Readers } from './orders/look-up-order-details.js';
import { createProcessOrderUseCase } from './orders/process-order-use-case.js';
import { createRelayOutbox } from './outbox/relay-outbox.js';
import { createRecoverStrandedOrders } from './recovery/recover-stranded-orders.js';

/** Events the relay takes per pass, and orders the sweep looks at per pass. */
export const RELAY_BATCH_SIZE = 500;
const SWEEP_BATCH_SIZE = 500;

export interface WorkerAdapters extends Readers {
  orders: OrderRepository;
  outbox: OutboxStore;
  publisher: EventPublisher;
  queue: OrderQueue;
  clock: () => Date;
  logger: Logger;
}

/** The worker's three use cases, on the adapters given and the configuration's settings. */
export function createWorkerUseCases(config: WorkerConfig, adapters: WorkerAdapters) {
  const { orders, outbox, publisher, queue, clock, logger } = adapters;
  return {
    processOrder: createProcessOrderUseCase({
      lookupTimeouts: config.lookupTimeouts,
      producer: config.producer,
      eventLeaseMs: config.outbox.leaseMs,
      deadlineMs: config.orderDeadlineMs,
      newMessageId: randomUUID,
      orders,
      outbox,
      readUser: adapters.readUser,
      readProduct: adapters.readProduct,
      publisher,
      clock,
      logger,
    }),
    relayOutbox: createRelayOutbox({
      batchSize: RELAY_BATCH_SIZE,
      outbox,
      publisher,
      clock,
      logger,
    }),
    recoverStrandedOrders: createRecoverStrandedOrders({
      staleAfterMs: config.recoverySweepIntervalMs,
      deadlineMs: config.orderDeadlineMs,
      batchSize: SWEEP_BATCH_SIZE,
      producer: config.producer,
      newMessageId: randomUUID,
      orders,
      queue,
      clock,
      logger,
    }),
  };
}

export type WorkerUseCases = ReturnType<typeof createWorkerUseCases>;
