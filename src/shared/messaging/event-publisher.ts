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

export interface EventPublisher {
  /** Resolves only once the broker has confirmed the message. */
  publish(event: OutgoingEvent): Promise<void>;
  close(): Promise<void>;
}
