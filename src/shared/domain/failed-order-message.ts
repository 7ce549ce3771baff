import type { Order, OrderFailure, OutboxEvent } from './order.js';
import { outboxEventFor, type OrderEventContext } from './order-event.js';

/** The event's type, and the routing key it is published under. */
export const FAILED_ORDER_ROUTING_KEY = 'failed_order';

/**
 * The event of a FAILED order. A failed order has no customer name, product name or amount
 * (the lookups are what failed), so it names the order as it was asked for: the user id and
 * the product code, with the failure's code and message as the order keeps them.
 */
export function failedOrderEvent(
  order: Pick<Order, 'id' | 'user_id' | 'product_code' | 'created_at' | 'request_id'>,
  failure: OrderFailure,
  context: OrderEventContext,
): OutboxEvent {
  return outboxEventFor(
    order,
    {
      producer: context.producer,
      sent_at: context.now.toISOString(),
      type: FAILED_ORDER_ROUTING_KEY,
      payload: {
        order: {
          order_id: order.id,
          user_id: order.user_id,
          product_code: order.product_code,
          failure_code: failure.code,
          failure_message: failure.message,
          created_at: order.created_at.toISOString(),
        },
      },
    },
    context,
  );
}
