/** An event ready to leave: the body is sent as JSON, the id lets consumers drop duplicates. */
export interface OutgoingEvent {
  routingKey: string;
  messageId: string;
  type: string;
  body: unknown;
  timestamp: Date;
}

export interface EventPublisher {
  /** Resolves only once the broker has confirmed the message. */
  publish(event: OutgoingEvent): Promise<void>;
  close(): Promise<void>;
}
