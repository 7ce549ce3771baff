import {
  acceptedEntry,
  appendToHistory,
  redrivenEntry,
  type HistoryEntry,
} from './order-history.js';
import type {
  NewOrder,
  Order,
  OrderDetails,
  OrderFailure,
  OrderStatus,
  OutboxEvent,
} from './order.js';

/**
 * PENDING is the only state the worker moves; CONFIRMED and FAILED are final. An operator's
 * re-drive (redrivenOrder) is the one way out of FAILED, into a new generation.
 */
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
    history: [acceptedEntry(now)],
    generation: 0,
    redriven_at: null,
  };
}

/**
 * A settlement is the one move a PENDING order makes, with the event that tells of it: to
 * CONFIRMED with its `created_order`, or to FAILED with its `failed_order`. The worker always
 * sends a FAILED order's event; a settlement without one (made by hand, or by a test that
 * only needs a final order) publishes nothing.
 */
export type Settlement = (
  | { status: 'CONFIRMED'; details: OrderDetails; event: OutboxEvent }
  | { status: 'FAILED'; failure: OrderFailure; event?: OutboxEvent }
) & {
  /** The re-drive generation it ends (see Order.generation); 0, the first, when absent. */
  generation?: number;
  /** The order's whole history once settled (appendToHistory); left as it is when absent. */
  history?: HistoryEntry[];
};

/**
 * The settlement that ends the order's current generation with `move`, leaving the order's
 * history followed by `entries` (what the run did, and the state change).
 */
export function settlementOf(
  order: Pick<Order, 'history' | 'generation'>,
  move: Settlement,
  entries: readonly HistoryEntry[],
): Settlement {
  return {
    ...move,
    generation: order.generation,
    history: appendToHistory(order.history, entries),
  };
}

export function hasUnpublishedEvent(
  order: Order,
): order is Order & { event: OutboxEvent & { published_at: null } } {
  return order.event !== null && order.event.published_at === null;
}

/** Why an order cannot be re-driven now, if it cannot. */
export type RedriveRefusal =
  /** Only a FAILED order goes back: a PENDING one is still being processed, a CONFIRMED one is done. */
  | 'not-failed'
  /** Its `failed_order` has not reached the broker yet: re-driving would drop that event. */
  | 'event-waiting';

export function redriveRefusal(order: Order): RedriveRefusal | null {
  if (order.status !== 'FAILED') return 'not-failed';
  return hasUnpublishedEvent(order) ? 'event-waiting' : null;
}

/**
 * A FAILED order as an operator's re-drive leaves it: PENDING again in the next generation,
 * with no failure and no event, a whole deadline from now, and the re-drive in its history.
 * FAILED is final unless an operator acts; this is the one way back.
 */
export function redrivenOrder(order: Order, now: Date, operator: string): Order {
  const generation = order.generation + 1;
  return {
    ...order,
    status: 'PENDING',
    failure: null,
    event: null,
    updated_at: now,
    generation,
    redriven_at: now,
    history: appendToHistory(order.history, [redrivenEntry(now, operator, generation)]),
  };
}
