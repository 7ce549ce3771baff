import type { CreatedOrderMessage, Order, OrderDetails, OutboxEvent } from './order.js';
import { firstLease } from './outbox-lease.js';

export const CREATED_ORDER_ROUTING_KEY = 'created_order';

/**
 * The event is built once, when the order is confirmed, and stored with it: every publish
 * attempt then sends the same bytes under the same message id, so consumers can drop
 * duplicates. The run that confirms the order holds the first lease on it.
 */
export function createdOrderEvent(
  order: Pick<Order, 'id' | 'created_at' | 'request_id'>,
  details: OrderDetails,
  context: {
    messageId: string;
    producer: string;
    now: Date;
    leaseMs: number;
    traceContext?: Record<string, string>;
  },
): OutboxEvent {
  const message: CreatedOrderMessage = {
    producer: context.producer,
    sent_at: context.now.toISOString(),
    type: 'created_order',
    payload: {
      order: {
        order_id: order.id,
        customer_fullname: details.customer_fullname,
        product_name: details.product_name,
        total_amount: details.total_amount,
        created_at: order.created_at.toISOString(),
      },
    },
  };
  return {
    message_id: context.messageId,
    routing_key: CREATED_ORDER_ROUTING_KEY,
    message,
    correlation_id: order.request_id,
    published_at: null,
    lease: firstLease(context.now, context.leaseMs),
    ...(context.traceContext === undefined || Object.keys(context.traceContext).length === 0
      ? {}
      : { trace_context: context.traceContext }),
  };
}
