import type { Order, OutboxEvent } from '../../shared/domain/order.js';
import {
  UnroutableEventError,
  type EventPublisher,
} from '../../shared/messaging/event-publisher.js';
import type { Logger } from '../../shared/observability/logger.js';
import type { OutboxStore } from '../../shared/persistence/outbox-store.js';

export interface EventPublishing {
  outbox: OutboxStore;
  publisher: EventPublisher;
  clock: () => Date;
  logger: Logger;
}

/**
 * Sends an order's stored event and records that the broker confirmed it. The caller holds
 * the event's lease. If the process dies between the two steps, the lease runs out and the
 * relay sends the event again, under the same message id (at least once).
 */
export async function publishStoredEvent(
  deps: EventPublishing,
  orderId: Order['id'],
  event: OutboxEvent,
): Promise<void> {
  await deps.publisher.publish({
    routingKey: event.routing_key,
    messageId: event.message_id,
    correlationId: event.correlation_id,
    type: event.message.type,
    body: event.message,
    timestamp: new Date(event.message.sent_at),
  });
  await deps.outbox.recordPublished(
    orderId,
    event.message_id,
    event.lease.generation,
    deps.clock(),
  );
  deps.logger.info(
    {
      orderId,
      requestId: event.correlation_id,
      messageId: event.message_id,
      routingKey: event.routing_key,
      lease: event.lease.generation,
    },
    'order event published',
  );
}

/**
 * The publish failed: give the lease back so the relay can try again without waiting. An
 * event no queue would receive keeps its lease until it runs out (OUTBOX_LEASE_MS): trying
 * again at once would only be returned again until a consumer binds its queue.
 */
export async function handBackToRelay(
  deps: EventPublishing,
  orderId: Order['id'],
  event: OutboxEvent,
  error: unknown,
): Promise<void> {
  if (error instanceof UnroutableEventError) {
    deps.logger.warn(
      {
        orderId,
        messageId: event.message_id,
        exchange: error.exchange,
        routingKey: error.routingKey,
      },
      'no queue is bound to receive the event; it stays in the outbox until one is',
    );
    return;
  }
  deps.logger.warn(
    { err: error, orderId, messageId: event.message_id },
    'event not published yet; it stays in the outbox for the relay',
  );
  await deps.outbox
    .release(orderId, event.message_id, event.lease.generation, deps.clock())
    .catch((releaseError: unknown) => {
      // Harmless: the lease then simply runs out.
      deps.logger.debug({ err: releaseError, orderId }, 'could not hand the lease back');
    });
}
