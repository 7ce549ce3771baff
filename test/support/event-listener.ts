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

/** The order id an order event (`created_order`, `failed_order`) is about. */
export function eventOrderId(event: { body: unknown }): string {
  return (event.body as { payload: { order: { order_id: string } } }).payload.order.order_id;
}

/** The events `listener` received about `orderId`. */
export function eventsAbout(listener: EventListener, orderId: string): ReceivedEvent[] {
  return listener.received.filter((event) => eventOrderId(event) === orderId);
}

/** The service's own publisher, on `exchange`, as the worker builds it. */
export function publisherOn(rabbitmqUrl: string, exchange: string) {
  return createAmqpEventPublisher({
    link: createAmqpLink({
      url: rabbitmqUrl,
      exchange,
      connectionName: 'order-service',
      logger: testLogger,
    }),
    exchange,
    producer: 'order-service',
  });
}

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
  const publisher = publisherOn(rabbitmqUrl, exchange);
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
