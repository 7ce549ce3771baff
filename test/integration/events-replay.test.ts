import { connect, type ChannelModel } from 'amqplib';
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createAmqpEventPublisher } from '../../src/shared/messaging/amqp-event-publisher.js';
import { createAmqpLink } from '../../src/shared/messaging/amqp-link.js';
import { parkingQueueOf } from '../../src/shared/messaging/event-publisher.js';
import { eventually } from '../support/eventually.js';
import { listenForEvents } from '../support/event-listener.js';
import { services, uniqueName } from '../support/services.js';
import { testLogger } from '../support/test-logger.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

function event(routingKey: string, messageId: string) {
  return {
    routingKey,
    messageId,
    correlationId: null,
    type: routingKey,
    body: { id: messageId },
    timestamp: new Date(),
  };
}

describe('npm run events:replay (real RabbitMQ)', () => {
  const exchange = uniqueName('test_replay');
  let broker: ChannelModel;

  before(async () => {
    broker = await connect(services.rabbitmqUrl);
  });
  after(async () => {
    const channel = await broker.createChannel();
    await channel.deleteQueue(parkingQueueOf(exchange));
    await channel.deleteExchange(exchange);
    await broker.close();
  });

  it('when a consumer binds after events were parked, then replay sends its events on under their ids and parks the others again', async () => {
    const publisher = createAmqpEventPublisher({
      link: createAmqpLink({
        url: services.rabbitmqUrl,
        exchange,
        connectionName: 'test',
        logger: testLogger,
      }),
      exchange,
      producer: 'order-service',
    });
    try {
      const placements = await Promise.all([
        publisher.publish(event('created_order', 'c-1')),
        publisher.publish(event('failed_order', 'f-1')),
        publisher.publish(event('created_order', 'c-2')),
      ]);
      expect(placements).to.deep.equal(['parked', 'parked', 'parked']);
    } finally {
      await publisher.close();
    }
    // The replay is under test, not the events' contract: the bodies are stand-ins.
    const late = await listenForEvents({
      url: services.rabbitmqUrl,
      exchange,
      routingKey: 'created_order',
      checkContract: false,
    });
    try {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', 'scripts/events-replay.ts'],
        {
          cwd: ROOT,
          env: { ...process.env, RABBITMQ_URL: services.rabbitmqUrl, ORDERS_EXCHANGE: exchange },
        },
      );
      expect(stdout).to.contain(`created_order: 2 sent to ${exchange}, 0 still without a queue`);
      expect(stdout).to.contain(`failed_order: 0 sent to ${exchange}, 1 still without a queue`);
      const ids = await eventually(
        () => Promise.resolve(late.received.map((e) => String(e.message.properties.messageId))),
        (received) => received.length === 2,
        { what: 'the replayed created_order events' },
      );
      expect(ids).to.have.members(['c-1', 'c-2']);
      const channel = await broker.createChannel();
      const left = await channel.get(parkingQueueOf(exchange), { noAck: true });
      expect(left && String(left.properties.messageId)).to.equal('f-1');
      expect(await channel.get(parkingQueueOf(exchange), { noAck: true })).to.equal(false);
    } finally {
      await late.close();
    }
  });
});
