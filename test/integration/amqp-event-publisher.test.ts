import { connect } from 'amqplib';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createAmqpEventPublisher } from '../../src/shared/messaging/amqp-event-publisher.js';
import { createAmqpLink } from '../../src/shared/messaging/amqp-link.js';
import {
  UnroutableEventError,
  parkingQueueOf,
  type EventPublisher,
} from '../../src/shared/messaging/event-publisher.js';
import { eventually } from '../support/eventually.js';
import {
  listenForEvents,
  publisherWithListener,
  type EventListener,
} from '../support/event-listener.js';
import { deleteParkingAndExchange, takeParkedEvents } from '../support/parking.js';
import { services, uniqueName } from '../support/services.js';
import { testLogger } from '../support/test-logger.js';

/** The service's publisher on an exchange of its own. */
function publisherOn(exchange: string): EventPublisher {
  return createAmqpEventPublisher({
    link: createAmqpLink({
      url: services.rabbitmqUrl,
      exchange,
      connectionName: 'x',
      logger: testLogger,
    }),
    exchange,
    producer: 'x',
  });
}

/**
 * A created_order event with an empty body: for what happens to it, not what it says. The
 * listeners of these tests take any body (`checkContract: false`): the transport is under
 * test here, the events' contract in the worker and end-to-end tests.
 */
function emptyEvent(messageId: string) {
  return {
    routingKey: 'created_order',
    messageId,
    correlationId: null,
    type: 'created_order',
    body: {},
    timestamp: new Date(),
  };
}

describe('event publisher (real RabbitMQ)', () => {
  let exchange: string;
  let publisher: EventPublisher;
  let listener: EventListener;
  let closeFixture: () => Promise<void>;

  before(async () => {
    ({
      exchange,
      publisher,
      listener,
      close: closeFixture,
    } = await publisherWithListener(services.rabbitmqUrl, { checkContract: false }));
  });
  after(async () => {
    await closeFixture();
  });

  it('when an event is published, then a bound consumer gets its JSON body with persistent, typed properties', async () => {
    const messageId = randomUUID();
    const body = {
      producer: 'order-service',
      type: 'created_order',
      payload: { order: { order_id: 'o-1' } },
    };
    await publisher.publish({
      routingKey: 'created_order',
      messageId,
      correlationId: 'request-1',
      type: 'created_order',
      body,
      timestamp: new Date(),
    });

    const [received] = await eventually(
      () =>
        Promise.resolve(
          listener.received.filter((event) => event.message.properties.messageId === messageId),
        ),
      (events) => events.length === 1,
      { what: 'the published message' },
    );
    expect(received?.body).to.deep.equal(body);
    expect(received?.message.properties).to.deep.include({
      contentType: 'application/json',
      deliveryMode: 2,
      type: 'created_order',
      appId: 'order-service',
      correlationId: 'request-1',
    });
    expect(received?.message.fields.routingKey).to.equal('created_order');
  });

  it('when the publisher was closed, then the next publish reconnects by itself', async () => {
    await publisher.close();
    const messageId = randomUUID();
    await publisher.publish(emptyEvent(messageId));
    await eventually(
      () =>
        Promise.resolve(
          listener.received.some((event) => event.message.properties.messageId === messageId),
        ),
      Boolean,
      { what: 'the message after reconnecting' },
    );
  });

  it('when no queue is bound for an event, then the broker keeps it in the parking queue, and a queue bound later receives the next one delivered', async () => {
    const unbound = uniqueName('test_unbound');
    const lonely = publisherOn(unbound);
    try {
      const placements = await Promise.all([
        lonely.publish(emptyEvent('a')),
        lonely.publish(emptyEvent('b')),
      ]);
      expect(placements).to.deep.equal(['parked', 'parked']);
      const parked = await takeParkedEvents(unbound, { checkContract: false });
      expect(parked).to.have.deep.members(
        ['a', 'b'].map((messageId) => ({
          messageId,
          exchange: unbound,
          routingKey: 'created_order',
          body: {},
        })),
      );

      const late = await listenForEvents({
        url: services.rabbitmqUrl,
        exchange: unbound,
        routingKey: 'created_order',
        checkContract: false,
      });
      try {
        expect(await lonely.publish(emptyEvent('c'))).to.equal('delivered');
        await eventually(
          () => Promise.resolve(late.received.map((e) => e.message.properties.messageId as string)),
          (ids) => ids.includes('c'),
          { what: 'the event published once a queue was bound' },
        );
        expect(late.received).to.have.length(1);
        expect(await takeParkedEvents(unbound, { checkContract: false })).to.deep.equal([]);
      } finally {
        await late.close();
      }
    } finally {
      await lonely.close();
      await deleteParkingAndExchange(unbound);
    }
  });

  it('when not even the parking queue takes an event (it was deleted), then its publish is refused as unroutable', async () => {
    const unbound = uniqueName('test_unbound');
    const lonely = publisherOn(unbound);
    const broker = await connect(services.rabbitmqUrl);
    try {
      expect(await lonely.publish(emptyEvent('a'))).to.equal('parked');
      const channel = await broker.createChannel();
      await channel.deleteQueue(parkingQueueOf(unbound));
      const error = await lonely.publish(emptyEvent('b')).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(UnroutableEventError);
      expect((error as Error).message).to.equal(
        `no queue took the event for exchange ${unbound} and routing key created_order`,
      );
      await channel.deleteExchange(unbound);
    } finally {
      await lonely.close();
      await broker.close();
    }
  });

  it('when the broker cannot be reached, then publish rejects instead of pretending', async () => {
    const offline = createAmqpEventPublisher({
      link: createAmqpLink({
        url: 'amqp://guest:guest@127.0.0.1:1',
        exchange,
        connectionName: 'x',
        logger: testLogger,
      }),
      exchange,
      producer: 'x',
    });
    const error = await offline.publish(emptyEvent('m')).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(Error);
    await offline.close();
  });
});
