import type { Order, OrderDetails, OutboxEvent } from './order.js';
import { outboxEventFor, type OrderEventContext } from './order-event.js';

/** The event's type, and the routing key it is published under. */
export const CREATED_ORDER_ROUTING_KEY = 'created_order';

/** The event of a CONFIRMED order: what was bought, by whom, for how much. */
export function createdOrderEvent(
  order: Pick<Order, 'id' | 'created_at' | 'request_id'>,
  details: OrderDetails,
  context: OrderEventContext,
): OutboxEvent {
  return outboxEventFor(
    order,
    {
      producer: context.producer,
      sent_at: context.now.toISOString(),
      type: CREATED_ORDER_ROUTING_KEY,
      payload: {
        order: {
          order_id: order.id,
          customer_fullname: details.customer_fullname,
          product_name: details.product_name,
          total_amount: details.total_amount,
          created_at: order.created_at.toISOString(),
        },
      },
    },
    context,
  );
}
