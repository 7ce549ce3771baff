import type { Order, OutboxEvent } from '../../shared/domain/order.js';
import {
  UnroutableEventError,
  type EventPublisher,
  type Placement,
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
 * Sends an order's stored event and says where the broker put it. The caller holds the
 * event's lease.
 */
export async function sendStoredEvent(
  deps: EventPublishing,
  orderId: Order['id'],
  event: OutboxEvent,
): Promise<Placement> {
  const placement = await deps.publisher.publish({
    routingKey: event.routing_key,
    messageId: event.message_id,
    correlationId: event.correlation_id,
    type: event.message.type,
    body: event.message,
    timestamp: new Date(event.message.sent_at),
  });
  const context = {
    orderId,
    requestId: event.correlation_id,
    messageId: event.message_id,
    routingKey: event.routing_key,
    lease: event.lease.generation,
  };
  if (placement === 'delivered') deps.logger.info(context, 'order event published');
  else
    deps.logger.warn(
      context,
      'no queue is bound for the event; the broker keeps it in the parking queue',
    );
  return placement;
}

/**
 * Sends an order's stored event and records that the broker holds it. If the process dies
 * between the two steps, the lease runs out and the relay sends the event again, under the
 * same message id (at least once).
 */
export async function publishStoredEvent(
  deps: EventPublishing,
  orderId: Order['id'],
  event: OutboxEvent,
): Promise<void> {
  await sendStoredEvent(deps, orderId, event);
  const published = { orderId, messageId: event.message_id, generation: event.lease.generation };
  await deps.outbox.recordPublished([published], deps.clock());
}

/**
 * The settling run's publish failed: give its lease back so the relay can try again without
 * waiting. An event no queue took, not even the parking queue, keeps its lease until it runs
 * out (OUTBOX_LEASE_MS): trying again at once would only be refused again.
 */
export async function handBackToRelay(
  deps: EventPublishing,
  orderId: Order['id'],
  event: OutboxEvent,
  error: unknown,
): Promise<void> {
  if (error instanceof UnroutableEventError) {
    logUnroutable(deps, orderId, event, error);
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

/** Not even the parking queue took the event: an operator must look at the broker. */
export function logUnroutable(
  deps: Pick<EventPublishing, 'logger'>,
  orderId: Order['id'],
  event: OutboxEvent,
  error: UnroutableEventError,
): void {
  deps.logger.error(
    {
      orderId,
      messageId: event.message_id,
      exchange: error.exchange,
      routingKey: error.routingKey,
    },
    'no queue took the event, not even the parking queue; it stays in the outbox',
  );
}
