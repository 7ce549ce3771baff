import type { Dependency } from '../../shared/domain/lookup-failure.js';
import type { Order } from '../../shared/domain/order.js';
import {
  UnroutableEventError,
  type EventPublisher,
} from '../../shared/messaging/event-publisher.js';
import {
  OrderMissingError,
  type OrderRepository,
} from '../../shared/persistence/order-repository.js';
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
        const placement = await publisher.publish(event);
        if (placement === 'parked') metrics.eventParked(event.routingKey);
        else metrics.eventPublished();
        return placement;
      } catch (error) {
        metrics.eventPublishFailed(error instanceof UnroutableEventError ? 'unroutable' : 'broker');
        throw error;
      }
    },
    close: () => publisher.close(),
  };
}

/** What a settlement of this process came to, for those who count or announce it. */
export interface SettlementListener {
  /** The winning settlement moved `order` to its final state (a rerun does not count again). */
  settled(order: Order): void;
  /** The store did not hold the order, so nothing was settled or published. */
  missing(orderId: string): void;
}

/** Tells `listener` of each settlement this process wins, and of each that found no order. */
export function withSettlementListener(
  orders: OrderRepository,
  listener: SettlementListener,
): OrderRepository {
  return {
    ...orders,
    async settle(id, settlement, now, pending) {
      try {
        const result = await orders.settle(id, settlement, now, pending);
        if (result.won) listener.settled(result.order);
        return result;
      } catch (error) {
        if (error instanceof OrderMissingError) listener.missing(id);
        throw error;
      }
    },
  };
}
