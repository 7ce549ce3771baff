/**
 * `npm run bench:relay`: how fast the outbox relay drains a backlog, and what each event
 * costs. A database that already holds `stored` published orders gets `waiting` CONFIRMED
 * orders whose events wait in the outbox (as after a broker outage), a durable queue is bound
 * for them, and the relay runs as a worker runs it until the outbox is empty. Reported: events
 * per second, the relay process's CPU ms per event, and MongoDB commands per event.
 */
import { connect } from 'amqplib';
import { createAmqpEventPublisher } from '../src/shared/messaging/amqp-event-publisher.js';
import { createAmqpLink } from '../src/shared/messaging/amqp-link.js';
import { createMongoConnection } from '../src/shared/persistence/mongo-connection.js';
import { ensureOrderIndexes } from '../src/shared/persistence/mongo-order-repository.js';
import {
  createMongoOutboxStore,
  ensureOutboxIndexes,
} from '../src/shared/persistence/mongo-outbox-store.js';
import type { OutboxStore } from '../src/shared/persistence/outbox-store.js';
import { createRelayOutbox } from '../src/worker/outbox/relay-outbox.js';
import { RELAY_BATCH_SIZE } from '../src/worker/worker-use-cases.js';
import { services, uniqueName } from '../test/support/services.js';
import { testLogger } from '../test/support/test-logger.js';
import { storeWaitingEvents } from '../test/support/waiting-events.js';
import { seedStoredOrders } from './seed-orders.js';

/** Wall-clock ms spent in each outbox step, summed over the run: where a drain's time goes. */
const spent: Record<string, number> = {};

function timed(store: OutboxStore): OutboxStore {
  const wrapped: Record<string, unknown> = {};
  const methods = store as unknown as Record<string, (...args: never[]) => Promise<unknown>>;
  for (const [step, method] of Object.entries(methods)) {
    wrapped[step] = async (...args: never[]) => {
      const started = performance.now();
      try {
        return await method(...args);
      } finally {
        spent[step] = (spent[step] ?? 0) + performance.now() - started;
      }
    };
  }
  return wrapped as unknown as OutboxStore;
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

async function main(): Promise<void> {
  const stored = option('stored', 10_000);
  const waiting = option('waiting', 10_000);
  const database = uniqueName('bench_relay');
  const exchange = uniqueName('bench_relay');
  const mongo = createMongoConnection({ url: services.mongoUrl, database, timeoutMs: 5000 });
  let commands = 0;
  mongo.client.on('commandStarted', () => {
    commands++;
  });
  await ensureOrderIndexes(mongo.db);
  await ensureOutboxIndexes(mongo.db);
  console.error(`relay drain: storing ${stored} published and ${waiting} waiting orders`);
  await seedStoredOrders(mongo.db, stored);
  await storeWaitingEvents(mongo.db, waiting);

  const consumer = await connect(services.rabbitmqUrl);
  const channel = await consumer.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const queue = `${exchange}.created_order`;
  await channel.assertQueue(queue, { durable: true });
  await channel.bindQueue(queue, exchange, 'created_order');

  const link = createAmqpLink({
    url: services.rabbitmqUrl,
    exchange,
    connectionName: 'bench-relay',
    logger: testLogger,
  });
  const publisher = createAmqpEventPublisher({ link, exchange, producer: 'bench' });
  const outbox = timed(createMongoOutboxStore(mongo.db, { leaseMs: 30_000 }));
  const relay = createRelayOutbox({
    batchSize: RELAY_BATCH_SIZE,
    outbox,
    publisher,
    clock: () => new Date(),
    logger: testLogger,
  });

  commands = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let published = 0;
  let rounds = 0;
  while (published < waiting && rounds < 10_000) {
    published += await relay();
    rounds++;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const { messageCount } = await channel.checkQueue(queue);
  const line = {
    stored,
    waiting,
    published,
    inQueue: messageCount,
    seconds: Number(seconds.toFixed(2)),
    eventsPerSecond: Math.round(published / seconds),
    storeMsByStep: Object.fromEntries(
      Object.entries(spent).map(([step, ms]) => [step, Math.round(ms)]),
    ),
    relayCpuMsPerEvent: Number(((cpu.user + cpu.system) / 1000 / published).toFixed(3)),
    mongoCommandsPerEvent: Number((commands / published).toFixed(3)),
    rounds,
  };
  console.log(JSON.stringify(line));

  await channel.deleteQueue(queue);
  await channel.deleteQueue(`${exchange}.unrouted`);
  await channel.deleteExchange(exchange);
  await consumer.close();
  await publisher.close();
  await mongo.db.dropDatabase();
  await mongo.client.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('relay drain failed:', error);
    process.exit(1);
  },
);
