import { connect, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { createAmqpEventPublisher } from '../../src/shared/messaging/amqp-event-publisher.js';
import { createAmqpLink } from '../../src/shared/messaging/amqp-link.js';
import { EventContractError, contractViolations } from './event-contract.js';
import { uniqueName } from './services.js';
import { testLogger } from './test-logger.js';

const FENCE_HEADER = 'x-test-fence';

export interface ReceivedEvent {
  body: unknown;
  message: ConsumeMessage;
}

/**
 * A consumer of its own, as any downstream service would have: an exclusive queue bound to
 * the exchange, collecting every message it receives.
 *
 * Each message is checked against its message in docs/asyncapi.yaml, body and AMQP
 * properties. One that does not match is kept out of `received`, and reading `received` or
 * closing the listener then throws an EventContractError naming what differs, so the test
 * that got it fails. `checkContract: false` is for tests of the transport alone, which send
 * bodies of their own.
 */
export async function listenForEvents(options: {
  url: string;
  exchange: string;
  routingKey: string;
  checkContract?: boolean;
}) {
  const checkContract = options.checkContract ?? true;
  const connection: ChannelModel = await connect(options.url);
  const channel = await connection.createChannel();
  await channel.assertExchange(options.exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, options.exchange, options.routingKey);
  const received: ReceivedEvent[] = [];
  const violations: string[] = [];
  const fences = new Map<string, () => void>();
  await channel.consume(
    queue,
    (message) => {
      if (message === null) return;
      const fence = message.properties.headers?.[FENCE_HEADER] as string | undefined;
      if (fence !== undefined) {
        fences.get(fence)?.();
        return;
      }
      const wrong = checkContract ? contractViolations(message) : [];
      if (wrong.length > 0) violations.push(...wrong);
      else
        received.push({ body: JSON.parse(message.content.toString('utf8')) as unknown, message });
    },
    { noAck: true },
  );
  return {
    /** Every message received so far; throws once one did not match the contract. */
    get received(): ReceivedEvent[] {
      if (violations.length > 0) throw new EventContractError(violations);
      return received;
    },
    /**
     * Resolves once every message the broker took for this queue before the call has been
     * received: a marker sent now comes after them, since a queue delivers in order. What a
     * publisher had confirmed before is then in `received`, or was never sent.
     */
    fence: () =>
      new Promise<void>((resolve) => {
        const id = randomUUID();
        fences.set(id, () => {
          fences.delete(id);
          resolve();
        });
        channel.sendToQueue(queue, Buffer.from('fence'), { headers: { [FENCE_HEADER]: id } });
      }),
    async close(): Promise<void> {
      await connection.close();
      if (violations.length > 0) throw new EventContractError(violations);
    },
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
 * the other, so each suite sees only its own events (held to the contract unless
 * `checkContract` is false, as in listenForEvents).
 */
export async function publisherWithListener(
  rabbitmqUrl: string,
  { checkContract = true }: { checkContract?: boolean } = {},
) {
  const exchange = uniqueName('test_orders');
  const listener = await listenForEvents({
    url: rabbitmqUrl,
    exchange,
    routingKey: 'created_order',
    checkContract,
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
