import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createdOrderEvent } from '../../src/shared/domain/created-order-message.js';
import { newPendingOrder } from '../../src/shared/domain/order-lifecycle.js';
import {
  createMongoConnection,
  type MongoConnection,
} from '../../src/shared/persistence/mongo-connection.js';
import {
  IDEMPOTENCY_KEYS_COLLECTION,
  createMongoIdempotencyStore,
  ensureIdempotencyIndexes,
} from '../../src/shared/persistence/mongo-idempotency-store.js';
import {
  SETTLEMENTS_COLLECTION,
  createMongoOrderRepository,
  ensureOrderIndexes,
} from '../../src/shared/persistence/mongo-order-repository.js';
import { dropDatabase } from '../support/run-data.js';
import { services, uniqueName } from '../support/services.js';

const HOUR = 3_600_000;
const RETENTION = 24 * HOUR;
const details = {
  customer_fullname: 'Ada Lovelace',
  product_name: 'Classic Box',
  total_amount: 9.99,
};

describe('records that expire (real MongoDB-protocol server)', () => {
  let mongo: MongoConnection;

  // Each test has a database of its own: a sweep's cursor is kept per database.
  beforeEach(async () => {
    mongo = createMongoConnection({
      url: services.mongoUrl,
      database: uniqueName('test_expiry'),
      timeoutMs: 2000,
    });
    await ensureOrderIndexes(mongo.db);
  });
  afterEach(async () => {
    await mongo.client.close();
    await dropDatabase(mongo.db.databaseName);
  });

  const at = (iso: string) => new Date(iso);
  const settlementOf = (id: string) =>
    mongo.db.collection<{ _id: string }>(SETTLEMENTS_COLLECTION).findOne({ _id: id });

  function confirmation(order: ReturnType<typeof newPendingOrder>, messageId: string, now: Date) {
    const event = createdOrderEvent(order, details, {
      messageId,
      producer: 't',
      now,
      leaseMs: 1000,
    });
    return { status: 'CONFIRMED' as const, details, event };
  }

  async function storedPending(acceptedAt: Date) {
    const order = newPendingOrder(
      { id: randomUUID(), user_id: 'u1', product_code: 'classic-box', request_id: null },
      acceptedAt,
    );
    const orders = createMongoOrderRepository(mongo.db, { settlementRetentionMs: RETENTION });
    await orders.insert(order);
    return { order, orders };
  }

  it('when a settlement has been kept for its retention, then the sweep deletes it and keeps younger ones', async () => {
    const { order: old, orders } = await storedPending(at('2026-12-01T10:00:00Z'));
    const { order: young } = await storedPending(at('2026-12-01T12:00:00Z'));
    await orders.settle(
      old.id,
      { status: 'FAILED', failure: { code: 'X', message: 'x' } },
      { now: at('2026-12-01T10:00:30Z'), pending: old },
    );
    await orders.settle(
      young.id,
      { status: 'FAILED', failure: { code: 'X', message: 'x' } },
      { now: at('2026-12-01T12:00:30Z'), pending: young },
    );

    expect(await orders.deleteExpiredSettlements(at('2026-12-02T10:00:59Z'))).to.equal(0);
    expect(await settlementOf(old.id)).not.to.equal(null);
    expect(await orders.deleteExpiredSettlements(at('2026-12-02T10:01:00Z'))).to.equal(1);
    expect(await settlementOf(old.id)).to.equal(null);
    expect(await settlementOf(young.id)).not.to.equal(null);
    // The order itself stays as settled.
    expect((await orders.findById(old.id))?.status).to.equal('FAILED');
  });

  it('when the sweep was away for more than a day, then its passes catch up a day at a time until what fell due is gone', async () => {
    const { order, orders } = await storedPending(at('2026-12-01T10:00:00Z'));
    await orders.deleteExpiredSettlements(at('2026-12-01T10:00:00Z'));
    const failure = { code: 'X', message: 'x' };
    await orders.settle(
      order.id,
      { status: 'FAILED', failure },
      { now: at('2026-12-01T10:00:30Z'), pending: order },
    );
    // Its bucket, 2026-12-02T10:01, is the 1,441st minute after the last pass.
    expect(await orders.deleteExpiredSettlements(at('2026-12-02T18:00:00Z'))).to.equal(0);
    expect(await orders.deleteExpiredSettlements(at('2026-12-02T18:00:00Z'))).to.equal(1);
    expect(await settlementOf(order.id)).to.equal(null);
  });

  it('when a late run settles an order whose settlement was swept, then it does not win and the order keeps the first event', async () => {
    const { order, orders } = await storedPending(at('2026-12-01T10:00:00Z'));
    const first = await orders.settle(
      order.id,
      confirmation(order, 'first', at('2026-12-01T10:00:30Z')),
      { now: at('2026-12-01T10:00:30Z'), pending: order },
    );
    expect(first.won).to.equal(true);
    await orders.deleteExpiredSettlements(at('2026-12-02T11:00:00Z'));
    expect(await settlementOf(order.id)).to.equal(null);

    // A run that stalled with the PENDING order in hand wakes up and settles it again.
    const now = at('2026-12-02T11:00:05Z');
    const late = await orders.settle(order.id, confirmation(order, 'late', now), {
      now,
      pending: order,
    });
    expect(late.won).to.equal(false);
    expect(late.order.event?.message_id).to.equal('first');
    expect((await orders.findById(order.id))?.event?.message_id).to.equal('first');
  });

  it('when an idempotency key has expired, then the sweep deletes it and the key is free again', async () => {
    await ensureIdempotencyIndexes(mongo.db);
    const keys = createMongoIdempotencyStore(mongo.db);
    const record = {
      key: 'key-1',
      fingerprint: 'f',
      order_id: 'o-1',
      created_at: at('2026-12-01T10:00:00Z'),
      expires_at: at('2026-12-02T10:00:00Z'),
    };
    expect((await keys.remember(record)).fresh).to.equal(true);
    expect(await keys.deleteExpired(at('2026-12-02T09:59:59Z'))).to.equal(0);
    expect((await keys.remember({ ...record, order_id: 'o-2' })).record.order_id).to.equal('o-1');
    expect(await keys.deleteExpired(at('2026-12-02T10:00:00Z'))).to.equal(1);
    expect(await mongo.db.collection(IDEMPOTENCY_KEYS_COLLECTION).countDocuments()).to.equal(0);
    expect(await keys.remember({ ...record, order_id: 'o-2' })).to.deep.include({ fresh: true });
  });
});
