import type { Dependency } from '../../shared/domain/lookup-failure.js';
import type { Order } from '../../shared/domain/order.js';
import {
  UnroutableEventError,
  type EventPublisher,
} from '../../shared/messaging/event-publisher.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';
import { LookupError } from '../lookups/lookup-error.js';
import type { ResourceReader } from '../lookups/resource-reader.js';
import type { WorkerMetrics } from './worker-metrics.js';

/*
 * Decorators that observe the adapters from the outside, so the use cases tell their story
 * without metric calls in between. main.ts wraps the real adapters with them.
 */

/** Times every call to a service and labels it with its outcome. */
export function measuredReader<T>(
  reader: ResourceReader<T>,
  service: Dependency,
  metrics: WorkerMetrics,
): ResourceReader<T> {
  return async (id, limit, requestId) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const found = await reader(id, limit, requestId);
      metrics.dependencyCall(service, 'success', seconds());
      return found;
    } catch (error) {
      const outcome = error instanceof LookupError ? error.failure.cause : 'error';
      metrics.dependencyCall(service, outcome, seconds());
      throw error;
    }
  };
}

export function countedPublisher(
  publisher: EventPublisher,
  metrics: WorkerMetrics,
): EventPublisher {
  return {
    async publish(event) {
      try {
        await publisher.publish(event);
      } catch (error) {
        metrics.eventPublishFailed(error instanceof UnroutableEventError ? 'unroutable' : 'broker');
        throw error;
      }
      metrics.eventPublished();
    },
    close: () => publisher.close(),
  };
}

/**
 * Calls `onSettled` once for each order a settlement of this process moved to its final
 * state (the winning one; a rerun that finds the order settled does not count again).
 */
export function withSettlementListener(
  orders: OrderRepository,
  onSettled: (order: Order) => void,
): OrderRepository {
  return {
    ...orders,
    async settle(id, settlement, now, pending) {
      const result = await orders.settle(id, settlement, now, pending);
      if (result?.won === true) onSettled(result.order);
      return result;
    },
  };
}
