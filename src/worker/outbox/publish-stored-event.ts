import {
  UnroutableEventError,
  type EventPublisher,
  type Placement,
} from '../../shared/messaging/event-publisher.js';
import type { Logger } from '../../shared/observability/logger.js';
import type { OutboxStore, WaitingEvent } from '../../shared/persistence/outbox-store.js';

export interface EventPublishing {
  outbox: OutboxStore;
  publisher: EventPublisher;
  clock: () => Date;
  logger: Logger;
}

/**
 * The settling run publishes the event its settlement stored: claim it → send it → record
 * that the broker holds it. If the process dies between sending and recording, the relay
 * sends the event again, under the same message id (at least once). A run that cannot claim
 * it, or whose publish fails, leaves it to the relay.
 */
export async function publishOwnEvent(deps: EventPublishing, own: WaitingEvent): Promise<void> {
  const claimed = await deps.outbox.claimOwn(own, deps.clock());
  if (claimed === null) {
    deps.logger.info({ orderId: own.orderId }, 'lease nearly over; the outbox relay will publish');
    return;
  }
  try {
    await sendStoredEvent(deps, claimed);
    await deps.outbox.recordPublished([claimed], deps.clock());
  } catch (error) {
    await handBackToRelay(deps, claimed, error);
  }
}

/**
 * Sends an order's stored event and says where the broker put it. The caller has claimed the
 * event.
 */
export async function sendStoredEvent(
  deps: Pick<EventPublishing, 'publisher' | 'logger'>,
  { orderId, event }: WaitingEvent,
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
  // Debug: the settlement's own line already tells of each order at info, and
  // events_published_total counts the publishes; a line per event was a tenth of the
  // worker's log volume and CPU spent on logging.
  if (placement === 'delivered') deps.logger.debug(context, 'order event published');
  else
    deps.logger.warn(
      context,
      'no queue is bound for the event; the broker keeps it in the parking queue',
    );
  return placement;
}

/** Not even the parking queue took the event: an operator must look at the broker. */
export function logUnroutable(
  deps: Pick<EventPublishing, 'logger'>,
  { orderId, event }: WaitingEvent,
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

/**
 * The settling run's publish failed: give its lease back so the relay can try again without
 * waiting. An event no queue took, not even the parking queue, keeps its lease until it runs
 * out (OUTBOX_LEASE_MS): trying again at once would only be refused again.
 */
async function handBackToRelay(
  deps: EventPublishing,
  own: WaitingEvent,
  error: unknown,
): Promise<void> {
  if (error instanceof UnroutableEventError) {
    logUnroutable(deps, own, error);
    return;
  }
  deps.logger.warn(
    { err: error, orderId: own.orderId, messageId: own.event.message_id },
    'event not published yet; it stays in the outbox for the relay',
  );
  await deps.outbox.giveBackOwn(own).catch((releaseError: unknown) => {
    // Harmless: the lease then simply runs out.
    deps.logger.debug({ err: releaseError, orderId: own.orderId }, 'could not hand the lease back');
  });
}
