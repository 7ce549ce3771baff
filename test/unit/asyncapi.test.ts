import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import type { ConfirmChannel, Message, MessageProperties, Options } from 'amqplib';
import { expect } from 'chai';
import { parse } from 'yaml';
import asyncApiCopy from '../../src/api/openapi/asyncapi-document.json' with { type: 'json' };
import { createdOrderEvent } from '../../src/shared/domain/created-order-message.js';
import { failedOrderEvent } from '../../src/shared/domain/failed-order-message.js';
import type { OutboxEvent } from '../../src/shared/domain/order.js';
import { createAmqpEventPublisher } from '../../src/shared/messaging/amqp-event-publisher.js';
import type { AmqpLink } from '../../src/shared/messaging/amqp-link.js';
import { sendStoredEvent } from '../../src/worker/outbox/publish-stored-event.js';
import {
  ASYNCAPI_PATH,
  EventContractError,
  contractViolations,
  expectFollowsContract,
  messageViolations,
  type AmqpEvent,
} from '../support/event-contract.js';
import { testLogger } from '../support/test-logger.js';

/**
 * The properties a consumer receives for a publish with `options`, as amqplib encodes them:
 * `persistent` becomes delivery mode 2 (1 when false), and the headers table is always sent.
 */
function asDelivered(options: Options.Publish): MessageProperties {
  const { persistent, mandatory: _mandatory, ...properties } = options;
  return {
    ...properties,
    deliveryMode: persistent === undefined ? undefined : persistent ? 2 : 1,
    headers: { ...(options.headers as Record<string, unknown> | undefined) },
  } as MessageProperties;
}

/**
 * The service's publisher on a channel that keeps what it is given, as a consumer would get
 * it. With `unroutable`, the first publish of each message comes back, so it is parked.
 */
function recordingPublisher({ unroutable = false } = {}) {
  const sent: AmqpEvent[] = [];
  const onReturn: ((message: Message) => void)[] = [];
  const channel = {
    on(event: string, listener: (message: Message) => void) {
      if (event === 'return') onReturn.push(listener);
      return channel;
    },
    publish(
      exchange: string,
      routingKey: string,
      content: Buffer,
      options: Options.Publish,
      confirmed: (error: unknown) => void,
    ) {
      const properties = asDelivered(options);
      const message = { fields: { routingKey }, properties, content };
      if (unroutable && exchange !== '')
        for (const listener of onReturn) listener(message as Message);
      else sent.push(message);
      confirmed(null);
      return true;
    },
  } as unknown as ConfirmChannel;
  const link: AmqpLink = {
    current: () => Promise.resolve({ connection: null as never, channel }),
    ensureConnected: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const publisher = createAmqpEventPublisher({
    link,
    exchange: 'orders',
    producer: 'order-service',
  });
  return { publisher, sent };
}

const order = {
  id: randomUUID(),
  user_id: '7c11e1ce2741',
  product_code: 'classic-box',
  created_at: new Date('2026-01-01T10:00:00.000Z'),
  request_id: 'request-1',
};
const context = () => ({
  messageId: randomUUID(),
  producer: 'order-service',
  now: new Date('2026-01-01T10:00:01.500Z'),
  leaseMs: 30_000,
});
const confirmed = () =>
  createdOrderEvent(
    order,
    { customer_fullname: 'Ada Lovelace', product_name: 'Classic Box', total_amount: 9.99 },
    context(),
  );
const failed = () =>
  failedOrderEvent(
    order,
    { code: 'PRODUCT_SERVICE_ERROR', message: 'the product service answered HTTP 500' },
    context(),
  );

/** What a consumer receives when the worker publishes `event` as it does after settling. */
async function published(event: OutboxEvent, options: { unroutable?: boolean } = {}) {
  const { publisher, sent } = recordingPublisher(options);
  await sendStoredEvent({ publisher, logger: testLogger }, { orderId: order.id, event });
  const [received, ...others] = sent;
  expect(others).to.deep.equal([]);
  if (received === undefined) throw new Error('nothing was sent');
  return received;
}

/** The parts of an event's body the tests below spoil. */
interface Body {
  type: string;
  payload: { order: Record<string, unknown> };
}

/** `event` with its body changed by `change`. */
function withBody(event: AmqpEvent, change: (body: Body) => void): AmqpEvent {
  const body = JSON.parse(event.content.toString('utf8')) as Body;
  change(body);
  return { ...event, content: Buffer.from(JSON.stringify(body)) };
}

describe('AsyncAPI document of the events (docs/asyncapi.yaml)', () => {
  let text: string;

  before(async () => {
    text = await readFile(ASYNCAPI_PATH, 'utf8');
  });

  it('when it is parsed with the official AsyncAPI parser, then it is AsyncAPI 3.0 with no error', async () => {
    const { document, diagnostics } = await new Parser().parse(text);
    // The diagnostics and DiagnosticSeverity come from two copies of @stoplight/types: the
    // severities are compared as the numbers they are.
    const isError = (severity: number) => severity === (DiagnosticSeverity.Error as number);
    const errors = diagnostics
      .filter((diagnostic) => isError(diagnostic.severity))
      .map((diagnostic) => `${diagnostic.path.join('.')}: ${diagnostic.message}`);
    expect(errors, 'errors of @asyncapi/parser').to.deep.equal([]);
    expect(document?.version()).to.equal('3.0.0');
    expect(
      document
        ?.operations()
        .all()
        .map((operation) => [operation.action(), operation.channels().all()[0]?.address()]),
    ).to.have.deep.members([
      ['send', 'created_order'],
      ['send', 'failed_order'],
      ['send', 'orders.unrouted'],
    ]);
  });

  it('when the copy the API serves is compared with it, then it is the same document (else run npm run docs:asyncapi)', () => {
    expect(asyncApiCopy).to.deep.equal(parse(text));
  });

  it("when each message's examples are checked against its schemas, then they match", () => {
    const document = parse(text) as {
      components: {
        messages: Record<
          string,
          { name: string; examples: { headers: object; payload: object }[] }
        >;
      };
    };
    const messages = Object.values(document.components.messages);
    expect(messages.map((message) => message.name)).to.have.members([
      'created_order',
      'failed_order',
    ]);
    for (const message of messages) {
      expect(message.examples).not.to.be.empty;
      for (const example of message.examples)
        expect(
          messageViolations(message.name, { ...example.headers }, example.payload),
        ).to.deep.equal([]);
    }
  });
});

describe('event contract check (test/support/event-contract.ts)', () => {
  it('when the worker publishes a created_order or a failed_order, then it matches its message, body and properties', async () => {
    for (const event of [confirmed(), failed()]) {
      const received = await published(event);
      expect(received.properties.deliveryMode).to.equal(2);
      expect(contractViolations(received), event.routing_key).to.deep.equal([]);
    }
  });

  it('when an event no queue took is parked, then the parked copy matches the message of its routing key', async () => {
    const received = await published(failed(), { unroutable: true });
    expect(received.fields.routingKey).to.equal('orders.unrouted');
    expect(received.properties.headers).to.deep.equal({
      'x-unrouted-exchange': 'orders',
      'x-unrouted-routing-key': 'failed_order',
    });
    expect(contractViolations(received)).to.deep.equal([]);
  });

  it('when a created_order lacks order_id, then the check refuses it and names the field', async () => {
    const received = withBody(await published(confirmed()), (body) => {
      delete body.payload.order.order_id;
    });
    const messageId = String(received.properties.messageId);
    expect(contractViolations(received)).to.deep.equal([
      `created_order ${messageId}: body/payload/order must have required property 'order_id'`,
    ]);
    expect(() => {
      expectFollowsContract(received);
    })
      .to.throw(EventContractError)
      .with.property('message')
      .that.includes("must have required property 'order_id'");
  });

  it('when an event is not persistent, then the check refuses it for its delivery mode', async () => {
    const received = await published(failed());
    const transient = { ...received, properties: { ...received.properties, deliveryMode: 1 } };
    expect(contractViolations(transient)).to.deep.equal([
      `failed_order ${String(received.properties.messageId)}: properties/delivery_mode must be equal to constant`,
    ]);
  });

  it('when an event carries a body of the other type, an unknown header or a bad timestamp, then the check names each', async () => {
    const received = await published(confirmed());
    const wrong = withBody(
      {
        ...received,
        properties: {
          ...received.properties,
          headers: { 'x-debug': 'yes' },
          timestamp: 'now',
        },
      },
      (body) => {
        body.type = 'failed_order';
        body.payload.order.total_amount = '9.99';
      },
    );
    const violations = contractViolations(wrong).map((violation) =>
      violation.replace(/^created_order \S+: /, ''),
    );
    expect(violations).to.have.members([
      'properties/timestamp must be integer',
      'properties/headers must NOT have additional properties (x-debug)',
      'body/type must be equal to constant',
      'body/payload/order/total_amount must be number',
    ]);
  });

  it('when an event comes under a routing key the document has no message for, then the check says so', async () => {
    const received = await published(confirmed());
    expect(
      contractViolations({ ...received, fields: { routingKey: 'deleted_order' } }),
    ).to.deep.equal([
      `message ${String(received.properties.messageId)}: no event is sent as deleted_order`,
    ]);
  });
});
