import type {
  NewOrder,
  Order,
  OrderDetails,
  OrderFailure,
  OrderStatus,
  OutboxEvent,
} from './order.js';

/** PENDING is the only state that moves; CONFIRMED and FAILED are final. */
const ALLOWED_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['CONFIRMED', 'FAILED'],
  CONFIRMED: [],
  FAILED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

/** The states an order may be in for a move to `to` to be allowed. */
export function sourceStatesFor(to: OrderStatus): OrderStatus[] {
  return (Object.keys(ALLOWED_TRANSITIONS) as OrderStatus[]).filter((from) =>
    canTransition(from, to),
  );
}

export function isFinal(status: OrderStatus): boolean {
  return ALLOWED_TRANSITIONS[status].length === 0;
}

export function newPendingOrder(order: NewOrder, now: Date): Order {
  return {
    ...order,
    status: 'PENDING',
    customer_fullname: null,
    product_name: null,
    total_amount: null,
    failure: null,
    created_at: now,
    updated_at: now,
    event: null,
  };
}

/**
 * A settlement is the one move a PENDING order makes, with the event that tells of it: to
 * CONFIRMED with its `created_order`, or to FAILED with its `failed_order`. The worker always
 * sends a FAILED order's event; a settlement without one (made by hand, or by a test that
 * only needs a final order) publishes nothing.
 */
export type Settlement =
  | { status: 'CONFIRMED'; details: OrderDetails; event: OutboxEvent }
  | { status: 'FAILED'; failure: OrderFailure; event?: OutboxEvent };

export function hasUnpublishedEvent(
  order: Order,
): order is Order & { event: OutboxEvent & { published_at: null } } {
  return order.event !== null && order.event.published_at === null;
}
