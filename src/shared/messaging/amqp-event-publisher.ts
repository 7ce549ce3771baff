import type { ConfirmChannel } from 'amqplib';
import type { AmqpLink } from './amqp-link.js';
import type { EventPublisher, OutgoingEvent } from './event-publisher.js';

/**
 * Publishes to a durable topic exchange over a confirm channel: a publish resolves only once
 * the broker has taken the message. A broker outage fails the publishes made during it (the
 * outbox keeps their events) and the link reconnects on the next one.
 */
export function createAmqpEventPublisher(options: {
  link: AmqpLink;
  exchange: string;
  producer: string;
  confirmTimeoutMs?: number;
}): EventPublisher {
  const { link, exchange, producer } = options;
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 10_000;

  function publishConfirmed(channel: ConfirmChannel, event: OutgoingEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the broker did not confirm message ${event.messageId} in time`));
      }, confirmTimeoutMs);
      const settle = (error: unknown) => {
        clearTimeout(timer);
        if (error === null || error === undefined) resolve();
        else reject(error instanceof Error ? error : new Error('the broker refused the message'));
      };
      try {
        channel.publish(
          exchange,
          event.routingKey,
          Buffer.from(JSON.stringify(event.body)),
          {
            persistent: true,
            contentType: 'application/json',
            contentEncoding: 'utf-8',
            messageId: event.messageId,
            ...(event.correlationId === null ? {} : { correlationId: event.correlationId }),
            type: event.type,
            appId: producer,
            timestamp: Math.floor(event.timestamp.getTime() / 1000),
          },
          settle,
        );
      } catch (error) {
        settle(error ?? new Error('publish failed')); // e.g. the channel closed a moment ago
      }
    });
  }

  return {
    async publish(event) {
      const { channel } = await link.current();
      await publishConfirmed(channel, event);
    },
    close: () => link.close(),
  };
}
