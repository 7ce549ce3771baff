import type { Order } from '../../shared/domain/order.js';

/** The order as clients see it: the seed's order schema plus its processing state. */
export function orderResource(order: Order) {
  return {
    id: order.id,
    user_id: order.user_id,
    product_code: order.product_code,
    status: order.status,
    customer_fullname: order.customer_fullname,
    product_name: order.product_name,
    total_amount: order.total_amount,
    created_at: order.created_at.toISOString(),
    updated_at: order.updated_at.toISOString(),
    ...(order.failure === null ? {} : { failure: order.failure }),
  };
}

export function orderLocation(order: Pick<Order, 'id'>): string {
  return `/orders/${order.id}`;
}
