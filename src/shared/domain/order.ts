import type { HistoryEntry } from './order-history.js';

/** The order as the seed's schema describes it, plus its processing state. */
export const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'FAILED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface OrderFailure {
  code: string;
  message: string;
}

/** What the worker learns from the user and product services. */
export interface OrderDetails {
  customer_fullname: string;
  product_name: string;
  total_amount: number;
}

/**
 * The order's event (`created_order` when it is CONFIRMED, `failed_order` when it is FAILED)
 * waiting in the order document until the broker confirms it (a transactional outbox of one:
 * the state change and the event are one write).
 */
export interface OutboxEvent {
  message_id: string;
  routing_key: string;
  message: OrderEventMessage;
  /** The request id of the order's POST, sent as the message's correlation id. */
  correlation_id: string | null;
  published_at: Date | null;
  /** Who may publish it now: the holder of the newest lease, until it expires. */
  lease: EventLease;
  /**
   * The W3C trace context (`traceparent`, …) of the run that settled the order, when it was
   * traced: a later publish by the relay continues the order's trace.
   */
  trace_context?: Record<string, string>;
}

/**
 * A time-limited right to publish an event, numbered by generation. The outbox grants each
 * generation to one publisher only, so two publishers never hold the same event at once.
 */
export interface EventLease {
  generation: number;
  expires_at: Date;
}

/** Sent when an order is CONFIRMED: the seed's message schema. */
export interface CreatedOrderMessage {
  producer: string;
  sent_at: string;
  type: 'created_order';
  payload: {
    order: {
      order_id: string;
      customer_fullname: string;
      product_name: string;
      total_amount: number;
      created_at: string;
    };
  };
}

/** Sent when an order is FAILED: who ordered what, and why it could not be done. */
export interface FailedOrderMessage {
  producer: string;
  sent_at: string;
  type: 'failed_order';
  payload: {
    order: {
      order_id: string;
      user_id: string;
      product_code: string;
      failure_code: string;
      failure_message: string;
      created_at: string;
    };
  };
}

/** The body of an order's event: one envelope (`producer`, `sent_at`, `type`), two payloads. */
export type OrderEventMessage = CreatedOrderMessage | FailedOrderMessage;

export interface Order {
  id: string;
  user_id: string;
  product_code: string;
  status: OrderStatus;
  customer_fullname: string | null;
  product_name: string | null;
  total_amount: number | null;
  failure: OrderFailure | null;
  created_at: Date;
  updated_at: Date;
  event: OutboxEvent | null;
  /** The request id of the POST that made the order (X-Request-Id), for following it. */
  request_id: string | null;
  /** Its lookups and state changes, oldest first, the newest HISTORY_LIMIT of them. */
  history: HistoryEntry[];
  /**
   * How many times an operator re-drove it (took it from FAILED back to PENDING): each
   * re-drive is a generation with a job and a settlement of its own. 0 as accepted.
   */
  generation: number;
  /** When the current generation began, if it is a re-drive: its deadline runs from then. */
  redriven_at: Date | null;
}

export interface NewOrder {
  id: string;
  user_id: string;
  product_code: string;
  request_id: string | null;
}
