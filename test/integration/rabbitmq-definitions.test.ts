import { connect } from 'amqplib';
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { loadCommonConfig } from '../../src/shared/config/config.js';
import { CREATED_ORDER_ROUTING_KEY } from '../../src/shared/domain/created-order-message.js';
import { FAILED_ORDER_ROUTING_KEY } from '../../src/shared/domain/failed-order-message.js';
import { parkingQueueOf } from '../../src/shared/messaging/event-publisher.js';
import { services } from '../support/services.js';

interface Definitions {
  exchanges: { name: string; type: string; durable: boolean }[];
  queues: { name: string; durable: boolean; auto_delete: boolean }[];
  bindings: { source: string; destination: string; routing_key: string }[];
}

/**
 * The broker set-up a deployment starts with (compose imports the file, and so does
 * `npm run services:up`): a durable queue for each event the service publishes, so nothing is
 * parked or missed from the first order on.
 */
describe('RabbitMQ definitions (scripts/rabbitmq-definitions.json, real RabbitMQ)', () => {
  const { exchange } = loadCommonConfig({}).rabbitmq;
  const routingKeys = [CREATED_ORDER_ROUTING_KEY, FAILED_ORDER_ROUTING_KEY];
  let definitions: Definitions;

  before(async () => {
    const text = await readFile(
      new URL('../../scripts/rabbitmq-definitions.json', import.meta.url),
    );
    definitions = JSON.parse(text.toString('utf8')) as Definitions;
  });

  it('when a deployment starts, then each event the service publishes has a durable queue bound for it, and the parking queue exists', () => {
    const declared = definitions.exchanges.find((candidate) => candidate.name === exchange);
    expect(declared, `exchange ${exchange}`).to.deep.include({ type: 'topic', durable: true });
    const queues = [...routingKeys.map((key) => `${exchange}.${key}`), parkingQueueOf(exchange)];
    for (const name of queues) {
      const queue = definitions.queues.find((candidate) => candidate.name === name);
      expect(queue, `queue ${name}`).to.deep.include({ durable: true, auto_delete: false });
    }
    for (const key of routingKeys) {
      expect(
        definitions.bindings.map(({ source, destination, routing_key }) => ({
          source,
          destination,
          routing_key,
        })),
      ).to.deep.include({ source: exchange, destination: `${exchange}.${key}`, routing_key: key });
    }
  });

  it('when the local services are up, then the broker holds those queues', async () => {
    const connection = await connect(services.rabbitmqUrl);
    try {
      for (const { name } of definitions.queues) {
        const channel = await connection.createChannel();
        // A passive declare: it closes the channel with 404 when the queue does not exist.
        const found = await channel.checkQueue(name).then(
          () => true,
          () => false,
        );
        expect(found, `queue ${name} on the broker`).to.equal(true);
      }
    } finally {
      await connection.close();
    }
  });
});
