import type { AnyBulkWriteOperation, Collection, Db, Filter, UpdateFilter } from 'mongodb';
import { groupCommit, type GroupCommitOptions } from '../batching/group-commit.js';
import { sourceStatesFor, type Settlement } from '../domain/order-lifecycle.js';
import type { Order, OrderStatus } from '../domain/order.js';
import { guarded, insertEach, insertOnce, itemErrors } from './mongo-errors.js';
import type { OrderRepository } from './order-repository.js';

/**
 * `outbox: 'pending'` marks an order whose event waits for the broker, from the settlement
 * that stores the event until the publish is recorded. The relay and the backlog count look
 * for it alone: a top-level equality is the one filter every MongoDB-protocol server hands
 * to its storage (FerretDB filters nested fields itself, after reading every CONFIRMED
 * order), so their cost follows the backlog, not the number of orders.
 */
type OrderDocument = Omit<Order, 'id'> & { _id: string; outbox?: 'pending' };

/** The final state an order takes, recorded once under the order's id. */
type SettlementDocument = { _id: string; updated_at: Date } & (
  | (Pick<Order, 'status' | 'customer_fullname' | 'product_name' | 'total_amount' | 'event'> & {
      outbox: 'pending';
    })
  | Pick<Order, 'status' | 'failure'>
);

export const ORDERS_COLLECTION = 'orders';
export const SETTLEMENTS_COLLECTION = 'order_settlements';
export const EVENT_CLAIMS_COLLECTION = 'outbox_claims';

/** One granted lease generation of one event; see OrderRepository.claimEvent. */
interface EventClaimDocument {
  _id: string;
  message_id: string;
  generation: number;
  claimed_at: Date;
}

function settlementDocument(id: string, settlement: Settlement, now: Date): SettlementDocument {
  return settlement.status === 'CONFIRMED'
    ? {
        _id: id,
        status: settlement.status,
        ...settlement.details,
        event: settlement.event,
        outbox: 'pending',
        updated_at: now,
      }
    : { _id: id, status: settlement.status, failure: settlement.failure, updated_at: now };
}

function toDocument({ id, ...rest }: Order): OrderDocument {
  return { _id: id, ...rest };
}

/** Orders stored before request ids were kept have none. */
function toOrder({ _id, outbox: _outbox, ...rest }: OrderDocument): Order {
  const event =
    rest.event === null
      ? null
      : { ...rest.event, correlation_id: rest.event.correlation_id ?? null };
  return { id: _id, ...rest, request_id: rest.request_id ?? null, event };
}

/** The indexes every query here relies on; creating an existing index is a no-op. */
export async function ensureOrderIndexes(db: Db): Promise<void> {
  await guarded(async () => {
    const orders = db.collection<OrderDocument>(ORDERS_COLLECTION);
    // Listing, newest first, filtered by user, status, both or neither; status_newest also
    // serves the recovery sweep (PENDING, oldest first) read backwards.
    await orders.createIndex({ created_at: -1, _id: -1 }, { name: 'newest' }, {});
    await orders.createIndex({ user_id: 1, created_at: -1, _id: -1 }, { name: 'user_newest' }, {});
    await orders.createIndex({ status: 1, created_at: -1, _id: -1 }, { name: 'status_newest' }, {});
    await orders.createIndex(
      { user_id: 1, status: 1, created_at: -1, _id: -1 },
      { name: 'user_status_newest' },
      {},
    );
    await orders.createIndex(
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
 * Brings orders written before the `outbox` marker existed (or by a process that did not
 * know it yet) in line, so no waiting event is missed and no published one is counted:
 * idempotent, run by every worker at start (the relay's owner; the API never reads the
 * marker). Also drops the index the marker replaced.
 */
export async function reconcileOutboxMarkers(db: Db): Promise<void> {
  await guarded(async () => {
    const orders = db.collection<OrderDocument>(ORDERS_COLLECTION);
    await orders.updateMany(
      { status: 'CONFIRMED', 'event.published_at': null, outbox: { $exists: false } },
      { $set: { outbox: 'pending' } },
    );
    await orders.updateMany(
      { outbox: 'pending', 'event.published_at': { $ne: null } },
      { $unset: { outbox: '' } },
    );
    await orders.dropIndex('outbox').catch(() => undefined); // gone already, or never made
  });
}

/**
 * A change to one order (its filter names the order's _id), applied with others of its kind in
 * one unordered bulk write. It goes out as an `updateMany`, which changes at most the one
 * order either way: FerretDB holds a PostgreSQL connection for every single-document update
 * statement of a command until the whole command ends, so a bulk of 100 `updateOne`s needed
 * 100 connections at once and deadlocked its pool; a multi-document statement reads its
 * match to the end and gives the connection back at once.
 */
type OrderUpdate = { filter: Filter<OrderDocument>; update: UpdateFilter<OrderDocument> };

const asBulkOperation = (change: OrderUpdate): AnyBulkWriteOperation<OrderDocument> => ({
  updateMany: change,
});

/**
 * The writes every order makes (its insert, its settlement, the record of its published event)
 * go out grouped with the concurrent ones of the same kind: one command for many orders
 * (see groupCommit). Each caller still learns its own order's outcome.
 */
export function createMongoOrderRepository(
  db: Db,
  grouping: GroupCommitOptions = { maxBatch: 100 },
): OrderRepository {
  const orders: Collection<OrderDocument> = db.collection<OrderDocument>(ORDERS_COLLECTION);
  const settlements = db.collection<SettlementDocument>(SETTLEMENTS_COLLECTION);
  const claims = db.collection<EventClaimDocument>(EVENT_CLAIMS_COLLECTION);

  const insertOrder = groupCommit(
    (documents: readonly OrderDocument[]) =>
      insertEach(documents, (all) => orders.insertMany(all, { ordered: false })),
    grouping,
  );
  const recordSettlement = groupCommit(
    (documents: readonly SettlementDocument[]) =>
      insertEach(documents, (all) => settlements.insertMany(all, { ordered: false })),
    grouping,
  );
  const updateOrder = groupCommit(async (updates: readonly OrderUpdate[]) => {
    const refused = await itemErrors(updates.length, () =>
      orders.bulkWrite(updates.map(asBulkOperation), { ordered: false }),
    );
    return refused.map((error) => error ?? true);
  }, grouping);

  /** Applies a recorded settlement, only while the order is in a state that may move to it. */
  const applySettlement = (id: string, to: OrderStatus, changes: Partial<OrderDocument>) =>
    updateOrder({
      filter: { _id: id, status: { $in: sourceStatesFor(to) } },
      update: { $set: changes },
    });

  return {
    insert: (order) => guarded(() => insertOrder(toDocument(order))),

    findById: (id) =>
      guarded(async () => {
        const document = await orders.findOne({ _id: id });
        return document === null ? null : toOrder(document);
      }),

    list: ({ userId, status, after, limit }) =>
      guarded(async () => {
        const filter: Filter<OrderDocument> = {};
        if (userId !== undefined) filter.user_id = userId;
        if (status !== undefined) filter.status = status;
        if (after !== null) {
          filter.$or = [
            { created_at: { $lt: after.created_at } },
            { created_at: after.created_at, _id: { $lt: after.id } },
          ];
        }
        const documents = await orders
          .find(filter)
          .sort({ created_at: -1, _id: -1 })
          .limit(limit)
          .toArray();
        return documents.map(toOrder);
      }),

    countUnpublishedEvents: () => guarded(() => orders.countDocuments({ outbox: 'pending' })),

    // Two steps, each safe to repeat. (1) Record the settlement under the order's id: an
    // insert with a taken _id fails atomically on every MongoDB-protocol server, so exactly
    // one settlement per order is ever recorded. (2) Apply the recorded one to the order,
    // only while it is still PENDING. A run that loses step 1, or resumes after a crash
    // between the steps, applies the winner's settlement. See docs/adr/0002.
    settle: (id, settlement, now, pending) =>
      guarded(async () => {
        const proposed = settlementDocument(id, settlement, now);
        const won = await recordSettlement(proposed);
        const recorded = won ? proposed : await settlements.findOne({ _id: id });
        if (recorded === null) return null;
        const { _id, ...changes } = recorded;
        await applySettlement(id, recorded.status, changes);
        // The winner knows what it wrote: the PENDING order it started from plus its own
        // settlement. Anyone else reads the order as the winner (and the relay) left it.
        if (won && pending !== undefined)
          return { order: toOrder({ ...toDocument(pending), ...changes }), won };
        const document = await orders.findOne({ _id: id });
        return document === null ? null : { order: toOrder(document), won };
      }),

    // Conditional updates are not atomic on every MongoDB-protocol server, so the claim of a
    // lease generation is an insert under `<message id>/<generation>`: exactly one caller
    // gets each generation. Only then is the lease written on the order (by its sole owner).
    // The confirming run holds generation 1 through its settlement, without a claim.
    claimEvent: (id, messageId, lease, now) =>
      guarded(async () => {
        const granted = await insertOnce(() =>
          claims.insertOne({
            _id: `${messageId}/${lease.generation}`,
            message_id: messageId,
            generation: lease.generation,
            claimed_at: now,
          }),
        );
        if (!granted) return false;
        const result = await orders.updateOne(
          { _id: id, 'event.message_id': messageId, 'event.published_at': null },
          { $set: { 'event.lease': lease } },
        );
        if (result.matchedCount === 1) return true;
        // Published meanwhile: whatever still marks it as waiting is stale.
        await orders.updateOne(
          { _id: id, 'event.published_at': { $ne: null } },
          { $unset: { outbox: '' } },
        );
        return false;
      }),

    latestEventClaim: (messageId) =>
      guarded(async () => {
        const [latest] = await claims
          .find({ message_id: messageId })
          .sort({ generation: -1 })
          .limit(1)
          .toArray();
        return latest === undefined
          ? null
          : { generation: latest.generation, claimed_at: latest.claimed_at };
      }),

    releaseEvent: (id, messageId, generation, now) =>
      guarded(async () => {
        await orders.updateOne(
          {
            _id: id,
            'event.message_id': messageId,
            'event.published_at': null,
            'event.lease.generation': generation,
          },
          { $set: { 'event.lease.expires_at': now } },
        );
      }),

    markEventPublished: (id, messageId, generation, now) =>
      guarded(async () => {
        await updateOrder({
          filter: { _id: id, 'event.message_id': messageId, 'event.published_at': null },
          update: { $set: { 'event.published_at': now }, $unset: { outbox: '' } },
        });
        // Claims exist only for events a relay took over; their job is done.
        if (generation > 1) await claims.deleteMany({ message_id: messageId });
      }),

    findEventsToRelay: (now, limit) =>
      guarded(async () => {
        const documents = await orders
          .find({ outbox: 'pending', 'event.lease.expires_at': { $lte: now } })
          .sort({ 'event.lease.expires_at': 1 })
          .limit(limit)
          .toArray();
        return documents.map(toOrder);
      }),

    findPendingAcceptedBefore: (acceptedBefore, limit) =>
      guarded(async () => {
        const documents = await orders
          .find(
            { status: 'PENDING', created_at: { $lt: acceptedBefore } },
            { projection: { _id: 1, created_at: 1, request_id: 1 } },
          )
          .sort({ created_at: 1 })
          .limit(limit)
          .toArray();
        return documents.map(({ _id, created_at, request_id }) => ({
          id: _id,
          created_at,
          request_id: request_id ?? null,
        }));
      }),
  };
}
