import type { Db } from 'mongodb';
import type { EventLease } from '../domain/order.js';
import { isAbandoned, leaseAfter, nextLease } from '../domain/outbox-lease.js';
import { guarded, insertOnce } from './mongo-errors.js';
import { recordApplied, runOnce } from './schema-migrations.js';
import { groupedOrderUpdates, ordersCollection, toOrder } from './order-documents.js';
import type { OutboxStore, WaitingEvent } from './outbox-store.js';

export const EVENT_CLAIMS_COLLECTION = 'outbox_claims';
const OUTBOX_MARKER_MIGRATION = 'outbox-marker';

/** One granted lease generation of one event, under `<message id>/<generation>`. */
interface EventClaimDocument {
  _id: string;
  message_id: string;
  generation: number;
  claimed_at: Date;
}

/** The indexes the outbox's queries rely on; creating an existing index is a no-op. */
export async function ensureOutboxIndexes(db: Db): Promise<void> {
  await guarded(async () => {
    await ordersCollection(db).createIndex(
      { outbox: 1, 'event.lease.expires_at': 1 },
      { name: 'outbox_due' },
      {},
    );
    await db
      .collection<EventClaimDocument>(EVENT_CLAIMS_COLLECTION)
      .createIndex({ message_id: 1, generation: -1 }, { name: 'message_generation' }, {});
  });
}

/**
 * Brings orders written before the `outbox` marker existed in line, so no waiting event is
 * missed and no published one is counted. It reads every CONFIRMED order, so it runs once
 * per database: a record in `schema_migrations` says it is done. Run by every worker at start
 * (the relay's owner; the API never reads the marker); two at once do no harm.
 */
export async function reconcileOutboxMarkers(db: Db): Promise<void> {
  await guarded(() =>
    runOnce(db, OUTBOX_MARKER_MIGRATION, async () => {
      const orders = ordersCollection(db);
      // Only CONFIRMED orders had events before the marker: FAILED ones got theirs later,
      // always written with it.
      await orders.updateMany(
        { status: 'CONFIRMED', 'event.published_at': null, outbox: { $exists: false } },
        { $set: { outbox: 'pending' } },
      );
      await orders.updateMany(
        { outbox: 'pending', 'event.published_at': { $ne: null } },
        { $unset: { outbox: '' } },
      );
      await orders.dropIndex('outbox').catch(() => undefined); // gone already, or never made
    }),
  );
}

/** Records that the orders of `db` carry the outbox marker (a database that began with it). */
export async function recordOutboxMarkersReconciled(db: Db): Promise<void> {
  await recordApplied(db, OUTBOX_MARKER_MIGRATION);
}

/**
 * The outbox on MongoDB: events live in their orders (`event`, with the top-level `outbox`
 * marker while they wait), grants of lease generations in `outbox_claims`. Conditional
 * updates are not atomic on every MongoDB-protocol server, so a generation is granted by an
 * insert under `<message id>/<generation>`: exactly one caller gets each. Only then is the
 * lease written on the order, by its sole owner. The confirming run holds generation 1
 * through its settlement, without a claim.
 */
export function createMongoOutboxStore(db: Db, options: { leaseMs: number }): OutboxStore {
  const orders = ordersCollection(db);
  const claims = db.collection<EventClaimDocument>(EVENT_CLAIMS_COLLECTION);
  const updateOrder = groupedOrderUpdates(orders);

  async function grant(orderId: string, messageId: string, lease: EventLease, now: Date) {
    const granted = await insertOnce(() =>
      claims.insertOne({
        _id: `${messageId}/${String(lease.generation)}`,
        message_id: messageId,
        generation: lease.generation,
        claimed_at: now,
      }),
    );
    if (!granted) return null;
    const result = await orders.updateOne(
      { _id: orderId, 'event.message_id': messageId, 'event.published_at': null },
      { $set: { 'event.lease': lease } },
    );
    if (result.matchedCount === 1) return lease;
    // Published meanwhile: whatever still marks it as waiting is stale.
    await orders.updateOne(
      { _id: orderId, 'event.published_at': { $ne: null } },
      { $unset: { outbox: '' } },
    );
    return null;
  }

  return {
    findDue: (now, limit) =>
      guarded(async () => {
        const documents = await orders
          .find({ outbox: 'pending', 'event.lease.expires_at': { $lte: now } })
          .sort({ 'event.lease.expires_at': 1 })
          .limit(limit)
          .toArray();
        return documents.flatMap((document): WaitingEvent[] => {
          const { id, event } = toOrder(document);
          return event === null ? [] : [{ orderId: id, event }];
        });
      }),

    claim: ({ orderId, event }, now) =>
      guarded(() => grant(orderId, event.message_id, nextLease(event, now, options.leaseMs), now)),

    takeOver: ({ orderId, event }, now) =>
      guarded(async () => {
        const [latest] = await claims
          .find({ message_id: event.message_id })
          .sort({ generation: -1 })
          .limit(1)
          .toArray();
        if (latest === undefined || !isAbandoned(latest, now, options.leaseMs)) return null;
        return grant(orderId, event.message_id, leaseAfter(latest, now, options.leaseMs), now);
      }),

    release: (orderId, messageId, generation, now) =>
      guarded(async () => {
        await orders.updateOne(
          {
            _id: orderId,
            'event.message_id': messageId,
            'event.published_at': null,
            'event.lease.generation': generation,
          },
          { $set: { 'event.lease.expires_at': now } },
        );
      }),

    recordPublished: (orderId, messageId, generation, now) =>
      guarded(async () => {
        await updateOrder({
          filter: { _id: orderId, 'event.message_id': messageId, 'event.published_at': null },
          update: { $set: { 'event.published_at': now }, $unset: { outbox: '' } },
        });
        // Claims exist only for events a relay took over; their job is done.
        if (generation > 1) await claims.deleteMany({ message_id: messageId });
      }),

    countWaiting: () => guarded(() => orders.countDocuments({ outbox: 'pending' })),
  };
}
