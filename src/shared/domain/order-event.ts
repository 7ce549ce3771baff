import type { Order, OrderEventMessage, OutboxEvent } from './order.js';
import { firstLease } from './outbox-lease.js';

/** What an order's event needs beyond the order: who sends it, under which id, and when. */
export interface OrderEventContext {
  messageId: string;
  producer: string;
  /** When the order settles: the event's `sent_at`, and the start of the first lease. */
  now: Date;
  /** How long the settling run holds the first lease; 0 leaves the event to the relay at once. */
  leaseMs: number;
  traceContext?: Record<string, string>;
}

/**
 * An order's event is built once, when the order settles, and stored with the settlement:
 * every publish attempt then sends the same bytes under the same message id, so consumers
 * can drop duplicates. The run that settles the order holds the first lease on it.
 */
export function outboxEventFor(
  order: Pick<Order, 'request_id'>,
  message: OrderEventMessage,
  context: OrderEventContext,
): OutboxEvent {
  return {
    message_id: context.messageId,
    // Each event type is published under its own name: consumers bind the types they want.
    routing_key: message.type,
    message,
    correlation_id: order.request_id,
    published_at: null,
    lease: firstLease(context.now, context.leaseMs),
    ...(context.traceContext === undefined || Object.keys(context.traceContext).length === 0
      ? {}
      : { trace_context: context.traceContext }),
  };
}
