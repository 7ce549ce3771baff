import { connect, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { createAmqpEventPublisher } from '../../src/shared/messaging/amqp-event-publisher.js';
import { createAmqpLink } from '../../src/shared/messaging/amqp-link.js';
import { uniqueName } from './services.js';
import { testLogger } from './test-logger.js';

export interface ReceivedEvent {
  body: unknown;
  message: ConsumeMessage;
}

/**
 * A consumer of its own, as any downstream service would have: an exclusive queue bound to
 * the exchange, collecting every message it receives.
 */
export async function listenForEvents(options: {
  url: string;
  exchange: string;
  routingKey: string;
}) {
  const connection: ChannelModel = await connect(options.url);
  const channel = await connection.createChannel();
  await channel.assertExchange(options.exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, options.exchange, options.routingKey);
  const received: ReceivedEvent[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (message === null) return;
      received.push({ body: JSON.parse(message.content.toString('utf8')) as unknown, message });
    },
    { noAck: true },
  );
  return {
    received,
    close: () => connection.close(),
  };
}

export type EventListener = Awaited<ReturnType<typeof listenForEvents>>;

/**
 * A fresh exchange with the service's publisher on one side and a listening consumer on
 * the other, so each suite sees only its own events.
 */
export async function publisherWithListener(rabbitmqUrl: string) {
  const exchange = uniqueName('test_orders');
  const listener = await listenForEvents({
    url: rabbitmqUrl,
    exchange,
    routingKey: 'created_order',
  });
  const publisher = createAmqpEventPublisher({
    link: createAmqpLink({
      url: rabbitmqUrl,
      exchange,
      connectionName: 'order-service',
      logger: testLogger,
    }),
    exchange,
    producer: 'order-service',
  });
  return {
    exchange,
    listener,
    publisher,
    close: async () => {
      await publisher.close();
      await listener.close();
    },
  };
}
