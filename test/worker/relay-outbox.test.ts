import { expect } from 'chai';
import type { Collection } from 'mongodb';
import {
  UnroutableEventError,
  type EventPublisher,
  type OutgoingEvent,
} from '../../src/shared/messaging/event-publisher.js';
import {
  createMongoConnection,
  type MongoConnection,
} from '../../src/shared/persistence/mongo-connection.js';
import {
  EVENT_CLAIMS_COLLECTION,
  createMongoOutboxStore,
  ensureOutboxIndexes,
} from '../../src/shared/persistence/mongo-outbox-store.js';
import { createRelayOutbox } from '../../src/worker/outbox/relay-outbox.js';
import { dropDatabase } from '../support/run-data.js';
import { services, uniqueName } from '../support/services.js';
import { testLogger } from '../support/test-logger.js';
import { storeWaitingEvents } from '../support/waiting-events.js';

const LEASE_MS = 60_000;

/**
 * A broker seen from the publisher's side, at the adapter boundary: it takes every event
 * unless told to refuse a routing key as unroutable, or to be down.
 */
function brokerThat(behaviour: { unroutable?: string; down?: boolean } = {}) {
  const delivered: OutgoingEvent[] = [];
  const publisher: EventPublisher = {
    publish(event) {
      if (behaviour.down === true) return Promise.reject(new Error('broker unavailable'));
      if (event.routingKey === behaviour.unroutable)
        return Promise.reject(new UnroutableEventError('orders', event.routingKey));
      delivered.push(event);
      return Promise.resolve('delivered');
    },
    close: () => Promise.resolve(),
  };
  return { publisher, delivered };
}

describe('outbox relay (real MongoDB-protocol server; the broker faulted at the publisher)', () => {
  let mongo: MongoConnection;
  let claims: Collection;

  beforeEach(async () => {
    mongo = createMongoConnection({
      url: services.mongoUrl,
      database: uniqueName('test_relay'),
      timeoutMs: 2000,
    });
    await ensureOutboxIndexes(mongo.db);
    claims = mongo.db.collection(EVENT_CLAIMS_COLLECTION);
  });
  afterEach(async () => {
    await mongo.client.close();
    await dropDatabase(mongo.db.databaseName);
  });

  function relayWith(publisher: EventPublisher, batchSize: number) {
    const outbox = createMongoOutboxStore(mongo.db, { leaseMs: LEASE_MS });
    return {
      outbox,
      relay: createRelayOutbox({
        batchSize,
        outbox,
        publisher,
        clock: () => new Date(),
        logger: testLogger,
      }),
    };
  }

  it('when a backlog is several batches long, then one run drains it all, each event once', async () => {
    const ids = await storeWaitingEvents(mongo.db, 95);
    const broker = brokerThat();
    const { relay, outbox } = relayWith(broker.publisher, 20);

    expect(await relay()).to.equal(95);
    const sentFor = broker.delivered.map((event) => (event.body as OrderEventBody).payload.order);
    expect(sentFor.map((order) => order.order_id)).to.have.members(ids);
    expect(await outbox.countWaiting()).to.equal(0);
    // Each keeps its last claim for two leases, then the next claim sweeps them.
    expect(await claims.countDocuments(), 'claims kept').to.equal(95);
    await outbox.claim([], new Date(Date.now() + 2 * LEASE_MS + 1));
    expect(await claims.countDocuments(), 'claims after two leases').to.equal(0);
  });

  it('when a relay read an event just before another one published it, then its claim is refused and the event goes out once', async () => {
    await storeWaitingEvents(mongo.db, 1);
    const broker = brokerThat();
    const { relay, outbox } = relayWith(broker.publisher, 20);
    const readBefore = await outbox.findDue(new Date(), 20);

    expect(await relay()).to.equal(1);
    expect(await outbox.claim(readBefore, new Date()), 'the late claim').to.deep.equal([]);
    expect(broker.delivered).to.have.length(1);
  });

  it('when the events first in line are unroutable, then the events behind them still go out in the same run, the run does not fail, and the refused ones keep no claim and wait out their lease', async () => {
    // Stored first, so they are first in line: the failed orders of a deployment that binds
    // only created_order, with its parking queue gone.
    const refused = await storeWaitingEvents(mongo.db, 40, 'failed_order');
    const confirmed = await storeWaitingEvents(mongo.db, 30, 'created_order');
    const broker = brokerThat({ unroutable: 'failed_order' });
    const { relay, outbox } = relayWith(broker.publisher, 25);

    // A run that threw would make its caller back off: it must return.
    expect(await relay()).to.equal(confirmed.length);
    expect(broker.delivered.map((event) => event.routingKey)).to.deep.equal(
      confirmed.map(() => 'created_order'),
    );
    // Only the delivered events keep a claim (for two leases); the refused ones keep none.
    expect(await claims.countDocuments(), 'claims kept').to.equal(confirmed.length);
    const dueNow = (await outbox.findDue(new Date(), 1000)).map((waiting) => waiting.orderId);
    expect(dueNow, 'refused events due again before their lease ends').to.deep.equal([]);
    const dueLater = await outbox.findDue(new Date(Date.now() + LEASE_MS), 1000);
    expect(dueLater.map((waiting) => waiting.orderId)).to.have.members(refused);

    // Lease after lease, the refused events never leave more than their one claim each.
    const later = createRelayOutbox({
      batchSize: 25,
      outbox,
      publisher: broker.publisher,
      clock: () => new Date(Date.now() + LEASE_MS),
      logger: testLogger,
    });
    expect(await later()).to.equal(0);
    expect(await claims.countDocuments()).to.equal(confirmed.length);
  });

  it('when the broker is down, then the run fails (its caller backs off) and the events are due again at once', async () => {
    const ids = await storeWaitingEvents(mongo.db, 10);
    const { relay, outbox } = relayWith(brokerThat({ down: true }).publisher, 25);

    const error = await relay().catch((thrown: unknown) => thrown);
    expect((error as Error).message).to.equal('broker unavailable');
    expect(await claims.countDocuments()).to.equal(0);
    const due = await outbox.findDue(new Date(), 1000);
    expect(due.map((waiting) => waiting.orderId)).to.have.members(ids);
  });
});

interface OrderEventBody {
  payload: { order: { order_id: string } };
}
