import type { ConfirmChannel, Message } from 'amqplib';
import type { AmqpLink } from './amqp-link.js';
import {
  PARKED_FROM,
  UnroutableEventError,
  parkingQueueOf,
  type EventPublisher,
  type OutgoingEvent,
} from './event-publisher.js';

/**
 * Whether the broker returned `messageId` (a count per id: ids may repeat), forgetting one
 * return of it. The broker sends a message's return before its confirm on the same channel.
 */
export function takeReturn(returned: Map<string, number>, messageId: string): boolean {
  const count = returned.get(messageId) ?? 0;
  if (count === 0) return false;
  if (count === 1) returned.delete(messageId);
  else returned.set(messageId, count - 1);
  return true;
}

/**
 * Publishes to a durable topic exchange over a confirm channel: a publish resolves only once
 * the broker has put the message in a queue. A broker outage fails the publishes made during
 * it (the outbox keeps their events) and the link reconnects on the next one.
 *
 * Messages go out `mandatory`: one that no queue is bound to receive comes back as a
 * `basic.return`, which the broker sends before that message's confirm on the same channel.
 * It is then parked: sent, with where it was going in its headers, to the exchange's durable
 * parking queue, which the link declares (docs/adr/0012). Either way the broker holds it once
 * confirmed, so its publish is final and the event leaves the outbox.
 */
export function createAmqpEventPublisher(options: {
  link: AmqpLink;
  exchange: string;
  producer: string;
  confirmTimeoutMs?: number;
}): EventPublisher {
  const { link, exchange, producer } = options;
  const parkingQueue = parkingQueueOf(exchange);
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 10_000;
  /** Per channel, the message ids returned and not yet confirmed (a count: ids may repeat). */
  const returnedOn = new WeakMap<ConfirmChannel, Map<string, number>>();

  function returnsOf(channel: ConfirmChannel): Map<string, number> {
    let returned = returnedOn.get(channel);
    if (returned === undefined) {
      const ids = new Map<string, number>();
      channel.on('return', (message: Message) => {
        const id: unknown = message.properties.messageId;
        if (typeof id === 'string') ids.set(id, (ids.get(id) ?? 0) + 1);
      });
      returnedOn.set(channel, ids);
      returned = ids;
    }
    return returned;
  }

  /**
   * Sends `event` to `target` and waits for the broker's confirm: true when a queue took it,
   * false when it came back unroutable.
   */
  function sendConfirmed(
    channel: ConfirmChannel,
    event: OutgoingEvent,
    target: { exchange: string; routingKey: string; headers?: Record<string, string> },
  ): Promise<boolean> {
    const returned = returnsOf(channel);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the broker did not confirm message ${event.messageId} in time`));
      }, confirmTimeoutMs);
      const settle = (error: unknown) => {
        clearTimeout(timer);
        if (error !== null && error !== undefined)
          reject(error instanceof Error ? error : new Error('the broker refused the message'));
        else resolve(!takeReturn(returned, event.messageId));
      };
      try {
        channel.publish(
          target.exchange,
          target.routingKey,
          Buffer.from(JSON.stringify(event.body)),
          {
            persistent: true,
            mandatory: true,
            contentType: 'application/json',
            contentEncoding: 'utf-8',
            messageId: event.messageId,
            ...(event.correlationId === null ? {} : { correlationId: event.correlationId }),
            type: event.type,
            appId: producer,
            timestamp: Math.floor(event.timestamp.getTime() / 1000),
            ...(target.headers === undefined ? {} : { headers: target.headers }),
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
      if (await sendConfirmed(channel, event, { exchange, routingKey: event.routingKey }))
        return 'delivered';
      // The default exchange routes to the queue named by the routing key.
      const parked = await sendConfirmed(channel, event, {
        exchange: '',
        routingKey: parkingQueue,
        headers: { [PARKED_FROM.exchange]: exchange, [PARKED_FROM.routingKey]: event.routingKey },
      });
      if (parked) return 'parked';
      throw new UnroutableEventError(exchange, event.routingKey);
    },
    close: () => link.close(),
  };
}
