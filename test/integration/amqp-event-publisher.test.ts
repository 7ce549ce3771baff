import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createAmqpEventPublisher } from '../../src/shared/messaging/amqp-event-publisher.js';
import { createAmqpLink } from '../../src/shared/messaging/amqp-link.js';
import type { EventPublisher } from '../../src/shared/messaging/event-publisher.js';
import { eventually } from '../support/eventually.js';
import { publisherWithListener, type EventListener } from '../support/event-listener.js';
import { services } from '../support/services.js';
import { testLogger } from '../support/test-logger.js';

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
    } = await publisherWithListener(services.rabbitmqUrl));
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
    await publisher.publish({
      routingKey: 'created_order',
      messageId,
      correlationId: null,
      type: 'created_order',
      body: {},
      timestamp: new Date(),
    });
    await eventually(
      () =>
        Promise.resolve(
          listener.received.some((event) => event.message.properties.messageId === messageId),
        ),
      Boolean,
      { what: 'the message after reconnecting' },
    );
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
    const error = await offline
      .publish({
        routingKey: 'created_order',
        messageId: 'm',
        correlationId: null,
        type: 'created_order',
        body: {},
        timestamp: new Date(),
      })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(Error);
    await offline.close();
  });
});
