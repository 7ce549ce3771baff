import type { Db, Filter } from 'mongodb';
import { groupCommit } from '../batching/group-commit.js';
import { sourceStatesFor, type Settlement } from '../domain/order-lifecycle.js';
import type { Order, OrderStatus } from '../domain/order.js';
import { guarded, insertEach } from './mongo-errors.js';
import {
  groupedOrderUpdates,
  ordersCollection,
  toDocument,
  toOrder,
  type OrderDocument,
} from './order-documents.js';
import type { OrderRepository } from './order-repository.js';

/** The final state an order takes, recorded once under the order's id. */
type SettlementDocument = { _id: string; updated_at: Date } & (
  | (Pick<Order, 'status' | 'customer_fullname' | 'product_name' | 'total_amount' | 'event'> & {
      outbox: 'pending';
    })
  | Pick<Order, 'status' | 'failure'>
);

export const SETTLEMENTS_COLLECTION = 'order_settlements';

/** Documents per `insertMany` at most: one transaction on FerretDB, about 11 ms for 100. */
const INSERTS_PER_BULK = 100;

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

/** The indexes every query here relies on; creating an existing index is a no-op. */
export async function ensureOrderIndexes(db: Db): Promise<void> {
  await guarded(async () => {
    const orders = ordersCollection(db);
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
  });
}

/**
 * The writes every order makes (its insert, its settlement) go out grouped with the concurrent
 * ones of the same kind: one command for many orders (see groupCommit, docs/adr/0010). Each
 * caller still learns its own order's outcome.
 */
export function createMongoOrderRepository(db: Db): OrderRepository {
  const orders = ordersCollection(db);
  const settlements = db.collection<SettlementDocument>(SETTLEMENTS_COLLECTION);

  const insertOrder = groupCommit(
    (documents: readonly OrderDocument[]) =>
      insertEach(documents, (all) => orders.insertMany(all, { ordered: false })),
    { maxBatch: INSERTS_PER_BULK },
  );
  const recordSettlement = groupCommit(
    (documents: readonly SettlementDocument[]) =>
      insertEach(documents, (all) => settlements.insertMany(all, { ordered: false })),
    { maxBatch: INSERTS_PER_BULK },
  );
  const updateOrder = groupedOrderUpdates(orders);

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
