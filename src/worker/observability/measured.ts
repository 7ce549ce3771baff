import type { Dependency } from '../../shared/domain/lookup-failure.js';
import {
  UnroutableEventError,
  type EventPublisher,
} from '../../shared/messaging/event-publisher.js';
import type {
  SettlementAnnouncer,
  SettlementListener,
} from '../../shared/long-poll/settlement-announcer.js';
import type { Logger } from '../../shared/observability/logger.js';
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

/** Counts each settlement this process wins and announces it to long-polling clients. */
export function countedAndAnnounced(parts: {
  metrics: WorkerMetrics;
  announcer: SettlementAnnouncer;
  logger: Logger;
}): SettlementListener {
  const { metrics, announcer, logger } = parts;
  return {
    settled(order) {
      metrics.orderFinished(order);
      announcer.announce(order.id).catch((error: unknown) => {
        logger.debug({ err: error, orderId: order.id }, 'settlement not announced');
      });
    },
    missing() {
      metrics.settlementUnmatched();
    },
  };
}
