import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createdOrderEvent } from '../../src/shared/domain/created-order-message.js';
import { failedOrderEvent } from '../../src/shared/domain/failed-order-message.js';
import { newPendingOrder, redrivenOrder } from '../../src/shared/domain/order-lifecycle.js';
import {
  createMongoConnection,
  type MongoConnection,
} from '../../src/shared/persistence/mongo-connection.js';
import {
  SETTLEMENTS_COLLECTION,
  createMongoOrderRepository,
  ensureOrderIndexes,
} from '../../src/shared/persistence/mongo-order-repository.js';
import {
  createMongoOutboxStore,
  ensureOutboxIndexes,
} from '../../src/shared/persistence/mongo-outbox-store.js';
import type { OutboxStore } from '../../src/shared/persistence/outbox-store.js';
import type { OrderRepository } from '../../src/shared/persistence/order-repository.js';
import {
  OrderMissingError,
  StoreUnavailableError,
} from '../../src/shared/persistence/order-repository.js';
import { storeRedrivenOrder } from '../support/pending-orders.js';
import { dropDatabase } from '../support/run-data.js';
import { services, uniqueName } from '../support/services.js';

const details = {
  customer_fullname: 'Ada Lovelace',
  product_name: 'Classic Box',
  total_amount: 9.99,
};

describe('order repository (real MongoDB-protocol server)', () => {
  let mongo: MongoConnection;
  let orders: OrderRepository;
  let outbox: OutboxStore;

  before(async () => {
    mongo = createMongoConnection({
      url: services.mongoUrl,
      database: uniqueName('test_repo'),
      timeoutMs: 2000,
    });
    await ensureOrderIndexes(mongo.db);
    await ensureOutboxIndexes(mongo.db);
    orders = createMongoOrderRepository(mongo.db);
    outbox = createMongoOutboxStore(mongo.db, { leaseMs: 60_000 });
  });
  after(async () => {
    await mongo.client.close();
    await dropDatabase(mongo.db.databaseName);
  });

  function pending(createdAt = new Date()) {
    return newPendingOrder(
      { id: randomUUID(), user_id: 'u1', product_code: 'classic-box', request_id: 'request-1' },
      createdAt,
    );
  }

  const eventFor = (order: { id: string; created_at: Date; request_id: string | null }) =>
    createdOrderEvent(order, details, {
      messageId: randomUUID(),
      producer: 'test',
      now: new Date(),
      leaseMs: 0,
    });

  /** A PENDING order stored and confirmed with a fresh event whose first lease lasts `leaseMs`. */
  async function confirmedWithEvent(leaseMs: number) {
    const order = pending();
    await orders.insert(order);
    const now = new Date();
    const event = createdOrderEvent(order, details, {
      messageId: randomUUID(),
      producer: 'test',
      now,
      leaseMs,
    });
    await orders.settle(order.id, { status: 'CONFIRMED', details, event }, { now });
    return { order, event, now };
  }

  it('when an order is stored, then it reads back identical', async () => {
    const order = pending(new Date('2026-01-01T00:00:00.123Z'));
    await orders.insert(order);
    expect(await orders.findById(order.id)).to.deep.equal(order);
  });

  it('when an id is unknown, then nothing is found', async () => {
    expect(await orders.findById(randomUUID())).to.equal(null);
  });

  it('when a PENDING order is confirmed, then details and event are stored in one write', async () => {
    const order = pending();
    await orders.insert(order);
    const now = new Date();
    const event = createdOrderEvent(order, details, {
      messageId: 'm-1',
      producer: 'test',
      now,
      leaseMs: 1000,
    });
    const result = await orders.settle(order.id, { status: 'CONFIRMED', details, event }, { now });
    expect(result.won).to.be.true;
    expect(result.order).to.deep.include({
      status: 'CONFIRMED',
      ...details,
      updated_at: now,
      event,
    });
    expect(await orders.findById(order.id)).to.deep.equal(result.order);
  });

  it('when a PENDING order is failed with its event, then the failure and the event are stored in one write, waiting in the outbox', async () => {
    const order = pending();
    await orders.insert(order);
    const now = new Date();
    const failure = { code: 'PRODUCT_NOT_FOUND', message: 'the product service has no product x' };
    const event = failedOrderEvent(order, failure, {
      messageId: randomUUID(),
      producer: 'test',
      now,
      leaseMs: 0,
    });
    const result = await orders.settle(order.id, { status: 'FAILED', failure, event }, { now });
    expect(result.won).to.be.true;
    expect(result.order).to.deep.include({ status: 'FAILED', failure, event });
    const stored = await mongo.db.collection('orders').findOne({ _id: order.id as never });
    expect(stored?.outbox, 'the outbox marker: held by the settling run').to.equal('leased');
    const due = await outbox.findDue(new Date(now.getTime() + 1), 1000);
    expect(due.find((waiting) => waiting.orderId === order.id)?.event).to.deep.equal(event);
  });

  it('when the store lost the PENDING order, then settling it throws OrderMissingError and stores no event for the relay', async () => {
    const order = pending();
    await orders.insert(order);
    await mongo.db.collection('orders').deleteOne({ _id: order.id as never });
    const now = new Date();
    const event = eventFor(order);
    const settling = orders.settle(
      order.id,
      { status: 'CONFIRMED', details, event },
      { now, pending: order },
    );
    const error = await settling.then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error, 'the settlement of a missing order').to.be.instanceOf(OrderMissingError);
    expect((error as OrderMissingError).orderId).to.equal(order.id);
    const due = await outbox.findDue(new Date(now.getTime() + 120_000), 1000);
    expect(due.map((waiting) => waiting.orderId)).not.to.include(order.id);
    // A rerun of the job (the settlement already recorded) learns the same.
    const rerun = await orders
      .settle(
        order.id,
        { status: 'CONFIRMED', details, event: eventFor(order) },
        { now: new Date(), pending: order },
      )
      .catch((thrown: unknown) => thrown);
    expect(rerun).to.be.instanceOf(OrderMissingError);
  });

  it('when a settlement shares its grouped write with one whose order is missing, then it still wins and the other throws', async () => {
    const [kept, lost] = [pending(), pending()];
    await orders.insert(kept);
    await orders.insert(lost);
    await mongo.db.collection('orders').deleteOne({ _id: lost.id as never });
    const now = new Date();
    const [keptResult, lostResult] = await Promise.allSettled([
      orders.settle(
        kept.id,
        { status: 'CONFIRMED', details, event: eventFor(kept) },
        { now, pending: kept },
      ),
      orders.settle(
        lost.id,
        { status: 'CONFIRMED', details, event: eventFor(lost) },
        { now, pending: lost },
      ),
    ]);
    expect(keptResult.status === 'fulfilled' && keptResult.value.won).to.equal(true);
    expect(lostResult.status === 'rejected' && lostResult.reason).to.be.instanceOf(
      OrderMissingError,
    );
    expect((await orders.findById(kept.id))?.status).to.equal('CONFIRMED');
  });

  it('when an order is already settled, then a second settlement changes nothing', async () => {
    const order = pending();
    await orders.insert(order);
    const failed = await orders.settle(
      order.id,
      { status: 'FAILED', failure: { code: 'X', message: 'x' } },
      { now: new Date() },
    );
    expect(failed.order.status).to.equal('FAILED');
    const event = createdOrderEvent(order, details, {
      messageId: 'm-2',
      producer: 'test',
      now: new Date(),
      leaseMs: 1000,
    });
    const second = await orders.settle(
      order.id,
      { status: 'CONFIRMED', details, event },
      { now: new Date() },
    );
    expect(second).to.deep.equal({ order: failed.order, won: false });
    expect(await orders.findById(order.id)).to.deep.equal(failed.order);
  });

  describe("group commit (commands counted with the driver's command monitoring)", () => {
    let monitored: MongoConnection;
    let grouped: OrderRepository;
    let groupedOutbox: OutboxStore;
    const commands: string[] = [];

    before(() => {
      monitored = createMongoConnection({
        url: services.mongoUrl,
        database: mongo.db.databaseName,
        timeoutMs: 2000,
      });
      monitored.client.on('commandStarted', (event) => commands.push(event.commandName));
      grouped = createMongoOrderRepository(monitored.db);
      groupedOutbox = createMongoOutboxStore(monitored.db, { leaseMs: 60_000 });
    });
    beforeEach(() => {
      commands.length = 0;
    });
    after(() => monitored.client.close());

    it('when orders are inserted at once, one under a taken id, then one insert command stores them and only that one is refused', async () => {
      const taken = pending();
      await orders.insert(taken);
      commands.length = 0;
      const fresh = [pending(), pending(), pending()];
      const outcomes = await Promise.all([...fresh, taken].map((order) => grouped.insert(order)));
      expect(outcomes).to.deep.equal([true, true, true, false]);
      expect(commands).to.deep.equal(['insert']);
      for (const order of fresh) expect(await orders.findById(order.id)).to.deep.equal(order);
    });

    it('when orders are settled at once, then one insert records every settlement and one update applies them all', async () => {
      const many = [pending(), pending(), pending(), pending()];
      await Promise.all(many.map((order) => orders.insert(order)));
      commands.length = 0;
      const now = new Date();
      const results = await Promise.all(
        many.map((order, i) =>
          grouped.settle(
            order.id,
            { status: 'FAILED', failure: { code: `C${i}`, message: 'x' } },
            { now, pending: order },
          ),
        ),
      );
      expect(commands).to.deep.equal(['insert', 'update']);
      for (const [i, order] of many.entries()) {
        const stored = await orders.findById(order.id);
        expect(results[i]).to.deep.equal({ order: stored, won: true });
        expect(stored?.failure?.code).to.equal(`C${i}`);
      }
    });

    it('when a whole batch of orders is settled at once, then one insert records them and bulks of 16 updates apply them all', async () => {
      const many = Array.from({ length: 100 }, () => pending());
      await Promise.all(many.map((order) => orders.insert(order)));
      commands.length = 0;
      const now = new Date();
      const failure = { code: 'C', message: 'x' };
      const results = await Promise.all(
        many.map((order) =>
          grouped.settle(order.id, { status: 'FAILED', failure }, { now, pending: order }),
        ),
      );
      expect(results.every((result) => result.won)).to.be.true;
      expect(commands.filter((command) => command === 'insert')).to.have.length(1);
      expect(commands.filter((command) => command === 'update')).to.have.length(7);
      const stored = await Promise.all(many.map((order) => orders.findById(order.id)));
      expect(stored.map((order) => order?.status)).to.deep.equal(many.map(() => 'FAILED'));
    });

    it('when published events are recorded at once, then one update records them all', async () => {
      const confirmed = await Promise.all([1, 2, 3].map(() => confirmedWithEvent(30_000)));
      commands.length = 0;
      const now = new Date();
      await Promise.all(
        confirmed.map(({ order, event }) =>
          groupedOutbox.recordPublished([{ orderId: order.id, event }], now),
        ),
      );
      expect(commands).to.deep.equal(['update']);
      for (const { order } of confirmed) {
        expect((await orders.findById(order.id))?.event?.published_at).to.deep.equal(now);
        const stored = await mongo.db.collection('orders').findOne({ _id: order.id as never });
        expect(stored, 'no longer marked as waiting').not.to.have.property('outbox');
      }
    });
  });

  it('when settlements of one order race, then exactly one wins and all see its result', async () => {
    for (let round = 0; round < 10; round++) {
      const order = pending();
      await orders.insert(order);
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          orders.settle(
            order.id,
            { status: 'FAILED', failure: { code: `C${i}`, message: 'x' } },
            { now: new Date() },
          ),
        ),
      );
      const winners = results.filter((result) => result.won);
      expect(winners, `round ${round}`).to.have.length(1);
      const stored = await orders.findById(order.id);
      expect(stored?.failure).to.deep.equal(winners[0]?.order.failure);
      for (const result of results) expect(result.order.failure).to.deep.equal(stored?.failure);
    }
  });

  it('when a settlement was recorded but not yet applied (a crash between the steps), then the next settle applies it', async () => {
    const order = pending();
    await orders.insert(order);
    const recordedAt = new Date('2026-05-05T05:05:05.000Z');
    await mongo.db.collection(SETTLEMENTS_COLLECTION).insertOne({
      _id: order.id as never,
      status: 'FAILED',
      failure: { code: 'FIRST', message: 'recorded before the crash' },
      updated_at: recordedAt,
    });
    const result = await orders.settle(
      order.id,
      { status: 'FAILED', failure: { code: 'SECOND', message: 'x' } },
      { now: new Date() },
    );
    expect(result.won).to.be.false;
    expect(await orders.findById(order.id)).to.deep.include({
      status: 'FAILED',
      failure: { code: 'FIRST', message: 'recorded before the crash' },
      updated_at: recordedAt,
    });
  });

  describe('generations', () => {
    const redriven = () => storeRedrivenOrder(orders, 'u1', 'classic-box');

    it('when a late run of generation 0 settles a re-driven order whose first record has expired, then the order stays PENDING in generation 1', async () => {
      const order = await redriven();
      await mongo.db.collection(SETTLEMENTS_COLLECTION).deleteOne({ _id: order.id } as object);
      const late = await orders.settle(
        order.id,
        { status: 'CONFIRMED', details, event: eventFor(order) },
        { now: new Date() },
      );
      expect(late.won).to.equal(false);
      expect(await orders.findById(order.id)).to.deep.include({
        status: 'PENDING',
        generation: 1,
        customer_fullname: null,
      });
    });

    it('when generation 1 settles, then it is recorded apart from generation 0 and the order takes it', async () => {
      const order = await redriven();
      const settled = await orders.settle(
        order.id,
        { status: 'CONFIRMED', details, event: eventFor(order), generation: 1 },
        { now: new Date(), pending: order },
      );
      expect(settled.won).to.equal(true);
      expect(await orders.findById(order.id)).to.deep.include({
        status: 'CONFIRMED',
        generation: 1,
      });
      const ids = (
        await mongo.db
          .collection<{ _id: string }>(SETTLEMENTS_COLLECTION)
          .find({ _id: { $in: [order.id, `${order.id}/1`] } })
          .toArray()
      ).map(({ _id }) => _id);
      expect(ids).to.have.members([order.id, `${order.id}/1`]);
    });

    it('when two re-drives of one generation are stored, then the second is refused', async () => {
      const order = await redriven();
      const stale = { ...order, status: 'FAILED' as const };
      expect(
        await orders.saveRedriven(redrivenOrder({ ...stale, generation: 0 }, new Date(), 'x')),
      ).to.equal(false);
      expect(
        (await orders.findById(order.id))?.history.filter(
          (e) => e.type === 'state' && e.by === 'operator',
        ),
      ).to.have.length(1);
    });

    it('when FAILED orders are looked for, then only those with the code, failed in the window, come back, oldest first, a page at a time', async () => {
      const code = `TEST_${randomUUID().slice(0, 8).toUpperCase().replace(/-/g, '')}`;
      const failAt = async (failedAt: Date, failureCode = code) => {
        const order = pending();
        await orders.insert(order);
        await orders.settle(
          order.id,
          { status: 'FAILED', failure: { code: failureCode, message: 'x' } },
          { now: failedAt },
        );
        return order;
      };
      const inWindow = [
        await failAt(new Date('2026-03-01T10:00:00Z')),
        await failAt(new Date('2026-03-01T11:00:00Z')),
      ];
      await failAt(new Date('2026-03-01T09:00:00Z'));
      await failAt(new Date('2026-03-01T10:30:00Z'), 'OTHER_CODE');
      const query = {
        failureCode: code,
        failedAfter: new Date('2026-03-01T10:00:00Z'),
        failedBefore: new Date('2026-03-01T12:00:00Z'),
      };
      const first = await orders.findFailed({ ...query, after: null, limit: 1 });
      expect(first.map((order) => order.id)).to.deep.equal([inWindow[0]?.id]);
      const last = first[0];
      if (last === undefined) throw new Error('no first page');
      const second = await orders.findFailed({ ...query, after: last, limit: 5 });
      expect(second.map((order) => order.id)).to.deep.equal([inWindow[1]?.id]);
    });
  });

  it('when the broker confirms the event, then it is marked published once', async () => {
    const order = pending();
    await orders.insert(order);
    const event = createdOrderEvent(order, details, {
      messageId: 'm-3',
      producer: 'test',
      now: new Date(),
      leaseMs: 1000,
    });
    await orders.settle(order.id, { status: 'CONFIRMED', details, event }, { now: new Date() });
    const first = new Date('2026-02-01T00:00:00.000Z');
    const published = [{ orderId: order.id, event }];
    await outbox.recordPublished(published, first);
    await outbox.recordPublished(published, new Date('2026-03-01T00:00:00.000Z'));
    expect((await orders.findById(order.id))?.event?.published_at).to.deep.equal(first);
  });

  it('when looking for stranded orders, then only old PENDING ones come back, oldest first', async () => {
    const old = pending(new Date('2000-01-01T00:00:00.000Z'));
    const older = pending(new Date('1999-01-01T00:00:00.000Z'));
    const settled = pending(new Date('1998-01-01T00:00:00.000Z'));
    const fresh = pending(new Date());
    for (const order of [old, older, settled, fresh]) await orders.insert(order);
    await orders.settle(
      settled.id,
      { status: 'FAILED', failure: { code: 'X', message: 'x' } },
      { now: new Date() },
    );
    const found = await orders.findPendingAcceptedBefore(new Date('2001-01-01T00:00:00.000Z'), 10);
    const stale = {
      user_id: 'u1',
      product_code: 'classic-box',
      request_id: 'request-1',
      generation: 0,
      redriven_at: null,
    };
    expect(found).to.deep.equal([
      { id: older.id, created_at: older.created_at, history: older.history, ...stale },
      { id: old.id, created_at: old.created_at, history: old.history, ...stale },
    ]);
  });

  it('when orders are listed page by page, then they come newest first, ties by id, each exactly once', async () => {
    const user_id = `lister-${randomUUID()}`;
    const sameInstant = new Date('2026-03-01T00:00:00.000Z');
    const mine = [
      ...Array.from({ length: 4 }, () => sameInstant),
      new Date('2026-03-02T00:00:00.000Z'),
      new Date('2026-02-01T00:00:00.000Z'),
      new Date('2026-03-03T00:00:00.000Z'),
    ].map((createdAt) => ({ ...pending(createdAt), user_id }));
    for (const order of mine) await orders.insert(order);
    await orders.insert(pending(new Date('2026-03-04T00:00:00.000Z'))); // another user's

    const seen: string[] = [];
    let after: { created_at: Date; id: string } | null = null;
    for (let page = 0; page < 10; page++) {
      const found = await orders.list({ userId: user_id, after, limit: 3 });
      seen.push(...found.map((order) => order.id));
      const last = found.at(-1);
      if (found.length < 3 || last === undefined) break;
      after = { created_at: last.created_at, id: last.id };
    }
    const expected = [...mine]
      .sort(
        (a, b) =>
          b.created_at.getTime() - a.created_at.getTime() ||
          (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
      )
      .map((order) => order.id);
    expect(seen).to.deep.equal(expected);
  });

  it('when orders are listed by status, then only that status comes back', async () => {
    const user_id = `status-${randomUUID()}`;
    const [failed, waiting] = [pending(), pending()].map((order) => ({ ...order, user_id }));
    for (const order of [failed!, waiting!]) await orders.insert(order);
    await orders.settle(
      failed!.id,
      { status: 'FAILED', failure: { code: 'X', message: 'x' } },
      { now: new Date() },
    );
    const found = await orders.list({ userId: user_id, status: 'FAILED', after: null, limit: 10 });
    expect(found.map((order) => order.id)).to.deep.equal([failed!.id]);
  });

  it('when an order with the same id exists, then insert keeps the first and says so', async () => {
    const order = pending();
    expect(await orders.insert(order)).to.be.true;
    expect(await orders.insert({ ...order, user_id: 'someone-else' })).to.be.false;
    expect((await orders.findById(order.id))?.user_id).to.equal(order.user_id);
  });

  it('when relays race for the same lease generation, then exactly one is granted it, each round', async () => {
    for (let round = 0; round < 10; round++) {
      const { order, event } = await confirmedWithEvent(0);
      const grants = await Promise.all(
        Array.from({ length: 5 }, () => outbox.claim([{ orderId: order.id, event }], new Date())),
      );
      const granted = grants.flat();
      expect(granted, `round ${round}`).to.have.length(1);
      expect(granted[0]?.event.lease.generation).to.equal(2);
    }
  });

  it('when a claim is held, then it is refused to others until it is given back or abandoned for a lease', async () => {
    const leaseMs = 60_000;
    const store = createMongoOutboxStore(mongo.db, { leaseMs });
    const { order, event } = await confirmedWithEvent(0);
    const waiting = [{ orderId: order.id, event }];
    const now = new Date();
    const [held] = await store.claim(waiting, now);
    expect(held?.event.lease.generation).to.equal(2);
    expect(await store.claim(waiting, new Date(now.getTime() + leaseMs - 1))).to.deep.equal([]);
    await store.giveBack(held === undefined ? [] : [held]);
    const [again] = await store.claim(waiting, now);
    expect(again?.event.lease.generation, 'given back: the same generation again').to.equal(2);
    const [takenOver] = await store.claim(waiting, new Date(now.getTime() + leaseMs));
    expect(takenOver?.event.lease.generation, 'abandoned: the next one').to.equal(3);
    await store.recordPublished([takenOver!], new Date());
    const stale = await store.claim(waiting, new Date(now.getTime() + leaseMs + 1));
    expect(stale, 'a relay that read it before it was published').to.deep.equal([]);
  });

  it('when a lease is handed back, then the event is up for relay at once, and not after it is published', async () => {
    const { order, event } = await confirmedWithEvent(60_000);
    const due = async () => (await outbox.findDue(new Date(), 1000)).map((due) => due.orderId);
    expect(await due()).not.to.include(order.id);
    await outbox.giveBackOwn({ orderId: order.id, event });
    expect(await due()).to.include(order.id);
    await outbox.recordPublished([{ orderId: order.id, event }], new Date());
    expect(await due()).not.to.include(order.id);
  });

  it('when an event is set aside until its lease ends, then it is not due before, it is after, and it keeps no claim', async () => {
    const leaseMs = 60_000;
    const store = createMongoOutboxStore(mongo.db, { leaseMs });
    const { order, event } = await confirmedWithEvent(0);
    const now = new Date();
    const [claimed] = await store.claim([{ orderId: order.id, event }], now);
    if (claimed === undefined) throw new Error('the claim was refused');
    await store.setAside(claimed);
    const dueAt = async (at: Date) =>
      (await store.findDue(at, 100_000)).map((waiting) => waiting.orderId);
    expect(await dueAt(new Date(now.getTime() + leaseMs - 1000))).not.to.include(order.id);
    expect(await dueAt(new Date(now.getTime() + leaseMs))).to.include(order.id);
    const claims = mongo.db.collection('outbox_claims');
    expect(await claims.countDocuments({ message_id: event.message_id })).to.equal(0);
  });

  it('when the server cannot be reached, then the error says the store is unavailable', async () => {
    const unreachable = createMongoConnection({
      url: 'mongodb://127.0.0.1:1',
      database: 'x',
      timeoutMs: 300,
    });
    try {
      const error = await createMongoOrderRepository(unreachable.db)
        .findById('x')
        .catch((e: unknown) => e);
      expect(error).to.be.instanceOf(StoreUnavailableError);
    } finally {
      await unreachable.client.close();
    }
  });
});
