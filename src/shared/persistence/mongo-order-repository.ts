import {
  MongoServerError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type Collection,
  type Db,
} from 'mongodb';
import { sourceStatesFor, type Settlement } from '../domain/order-lifecycle.js';
import type { Order } from '../domain/order.js';
import { StoreUnavailableError, type OrderRepository } from './order-repository.js';

type OrderDocument = Omit<Order, 'id'> & { _id: string };

/** The final state an order takes, recorded once under the order's id. */
type SettlementDocument = { _id: string; updated_at: Date } & (
  | Pick<Order, 'status' | 'customer_fullname' | 'product_name' | 'total_amount' | 'event'>
  | Pick<Order, 'status' | 'failure'>
);

export const ORDERS_COLLECTION = 'orders';
export const SETTLEMENTS_COLLECTION = 'order_settlements';

const DUPLICATE_KEY = 11000;

function settlementDocument(id: string, settlement: Settlement, now: Date): SettlementDocument {
  return settlement.status === 'CONFIRMED'
    ? {
        _id: id,
        status: settlement.status,
        ...settlement.details,
        event: settlement.event,
        updated_at: now,
      }
    : { _id: id, status: settlement.status, failure: settlement.failure, updated_at: now };
}

function toDocument({ id, ...rest }: Order): OrderDocument {
  return { _id: id, ...rest };
}

function toOrder({ _id, ...rest }: OrderDocument): Order {
  return { id: _id, ...rest };
}

function isOutage(error: unknown): boolean {
  return (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError
  );
}

/** Driver errors that mean "cannot reach the database" become one error type callers know. */
async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw isOutage(error) ? new StoreUnavailableError(error) : error;
  }
}

/** The indexes every query here relies on; creating an existing index is a no-op. */
export async function ensureOrderIndexes(db: Db): Promise<void> {
  await guarded(() =>
    db
      .collection<OrderDocument>(ORDERS_COLLECTION)
      .createIndex({ status: 1, created_at: 1 }, { name: 'status_created_at' }, {}),
  );
}

export function createMongoOrderRepository(db: Db): OrderRepository {
  const orders: Collection<OrderDocument> = db.collection<OrderDocument>(ORDERS_COLLECTION);
  const settlements = db.collection<SettlementDocument>(SETTLEMENTS_COLLECTION);

  return {
    insert: (order) =>
      guarded(async () => {
        await orders.insertOne(toDocument(order));
      }),

    findById: (id) =>
      guarded(async () => {
        const document = await orders.findOne({ _id: id });
        return document === null ? null : toOrder(document);
      }),

    // Two steps, each safe to repeat. (1) Record the settlement under the order's id: an
    // insert with a taken _id fails atomically on every MongoDB-protocol server, so exactly
    // one settlement per order is ever recorded. (2) Apply the recorded one to the order,
    // only while it is still PENDING. A run that loses step 1, or resumes after a crash
    // between the steps, applies the winner's settlement. See docs/adr/0002.
    settle: (id, settlement, now) =>
      guarded(async () => {
        const proposed = settlementDocument(id, settlement, now);
        let won = true;
        try {
          await settlements.insertOne(proposed);
        } catch (error) {
          if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
          won = false;
        }
        const recorded = won ? proposed : await settlements.findOne({ _id: id });
        if (recorded === null) return null;
        const { _id, ...changes } = recorded;
        // Usually one round trip: the update hands back the settled order. Only when the
        // settlement was applied before (a rerun) is the order read on its own.
        const document =
          (await orders.findOneAndUpdate(
            { _id: id, status: { $in: sourceStatesFor(recorded.status) } },
            { $set: changes },
            { returnDocument: 'after' },
          )) ?? (await orders.findOne({ _id: id }));
        return document === null ? null : { order: toOrder(document), won };
      }),

    markEventPublished: (id, messageId, now) =>
      guarded(async () => {
        await orders.updateOne(
          { _id: id, 'event.message_id': messageId, 'event.published_at': null },
          { $set: { 'event.published_at': now } },
        );
      }),

    findPendingAcceptedBefore: (acceptedBefore, limit) =>
      guarded(async () => {
        const documents = await orders
          .find(
            { status: 'PENDING', created_at: { $lt: acceptedBefore } },
            { projection: { _id: 1 } },
          )
          .sort({ created_at: 1 })
          .limit(limit)
          .toArray();
        return documents.map((document) => document._id);
      }),
  };
}
