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
 * The broker took the message but no queue was bound to receive it: nothing was delivered,
 * so the event does not count as published.
 */
export class UnroutableEventError extends Error {
  constructor(
    readonly exchange: string,
    readonly routingKey: string,
  ) {
    super(`no queue is bound to exchange ${exchange} for routing key ${routingKey}`);
    this.name = 'UnroutableEventError';
  }
}

export interface EventPublisher {
  /**
   * Resolves only once the broker has confirmed the message and routed it to a queue; rejects
   * with UnroutableEventError when no queue was bound to receive it.
   */
  publish(event: OutgoingEvent): Promise<void>;
  close(): Promise<void>;
}
