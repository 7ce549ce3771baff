/** An event ready to leave: the body is sent as JSON, the id lets consumers drop duplicates. */
export interface OutgoingEvent {
  routingKey: string;
  messageId: string;
  /** The request id of the order's POST, so one request can be followed across services. */
  correlationId: string | null;
  type: string;
  body: unknown;
  timestamp: Date;
}

/**
 * Neither a queue bound for the event's routing key nor the exchange's parking queue took it
 * (someone deleted the parking queue): nothing holds the message, so it is not published.
 */
export class UnroutableEventError extends Error {
  constructor(
    readonly exchange: string,
    readonly routingKey: string,
  ) {
    super(`no queue took the event for exchange ${exchange} and routing key ${routingKey}`);
    this.name = 'UnroutableEventError';
  }
}

/**
 * Where the broker put a confirmed event: `delivered` to the queues bound for its routing key,
 * or `parked` in the exchange's parking queue because none was bound (docs/adr/0012).
 */
export type Placement = 'delivered' | 'parked';

export interface EventPublisher {
  /**
   * Resolves once a queue of the broker holds the message: one bound for its routing key, or
   * else the parking queue. Rejects when the broker did not confirm it, or with
   * UnroutableEventError when no queue, the parking one included, took it.
   */
  publish(event: OutgoingEvent): Promise<Placement>;
  close(): Promise<void>;
}

/** The durable queue that keeps the events of `exchange` no consumer's queue was bound for. */
export function parkingQueueOf(exchange: string): string {
  return `${exchange}.unrouted`;
}

/** Headers a parked message carries, so it can be sent on to where it was going. */
export const PARKED_FROM = {
  exchange: 'x-unrouted-exchange',
  routingKey: 'x-unrouted-routing-key',
} as const;
