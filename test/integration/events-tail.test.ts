import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createdOrderEvent } from '../../src/shared/domain/created-order-message.js';
import { createAmqpEventPublisher } from '../../src/shared/messaging/amqp-event-publisher.js';
import { createAmqpLink } from '../../src/shared/messaging/amqp-link.js';
import { eventually } from '../support/eventually.js';
import { services, uniqueName } from '../support/services.js';
import { testLogger } from '../support/test-logger.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run events:tail (real RabbitMQ)', () => {
  const exchange = uniqueName('test_tail');
  let tail: ChildProcess;
  let stdout = '';
  let stderr = '';

  before(async () => {
    tail = spawn(process.execPath, ['--import', 'tsx', 'scripts/events-tail.ts'], {
      cwd: ROOT,
      env: { ...process.env, RABBITMQ_URL: services.rabbitmqUrl, ORDERS_EXCHANGE: exchange },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    tail.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    tail.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    await eventually(
      () => Promise.resolve(stderr),
      (text) => text.includes('listening for created_order'),
      { what: 'the tail to listen', timeoutMs: 15_000 },
    );
  });
  after(async () => {
    tail.kill('SIGINT');
    if (tail.exitCode === null) await once(tail, 'exit');
  });

  it('when an order is confirmed, then its event is printed on one line with order, customer, product, amount and ids', async () => {
    const link = createAmqpLink({
      url: services.rabbitmqUrl,
      exchange,
      connectionName: 'test',
      logger: testLogger,
    });
    const publisher = createAmqpEventPublisher({ link, exchange, producer: 'order-service' });
    const orderId = randomUUID();
    const event = createdOrderEvent(
      { id: orderId, created_at: new Date(), request_id: 'request-42' },
      { customer_fullname: 'Ada Lovelace', product_name: 'Classic Box', total_amount: 9.99 },
      { messageId: 'message-42', producer: 'order-service', now: new Date(), leaseMs: 1000 },
    );
    try {
      await publisher.publish({
        routingKey: event.routing_key,
        messageId: event.message_id,
        correlationId: event.correlation_id,
        type: 'created_order',
        body: event.message,
        timestamp: new Date(),
      });
    } finally {
      await publisher.close();
    }
    const line = await eventually(
      () => Promise.resolve(stdout.split('\n').find((printed) => printed.includes(orderId))),
      (found) => found !== undefined,
      { what: 'the printed event' },
    );
    expect(line).to.contain('Ada Lovelace bought Classic Box for 9.99');
    expect(line).to.contain('message message-42, request request-42');
    expect(stderr, 'says that it shows copies').to.contain(
      `these are copies: consumers read their own durable queues, such as ${exchange}.created_order`,
    );
  });
});
