import type { Db, Filter } from 'mongodb';
import { groupCommit } from '../batching/group-commit.js';
import { sourceStatesFor, type Settlement } from '../domain/order-lifecycle.js';
import type { Order, OrderStatus } from '../domain/order.js';
import {
  EXPIRY_FIELD,
  createExpirySweep,
  ensureExpiryIndex,
  expiryBucket,
} from './expiry-buckets.js';
import { guarded, insertEach } from './mongo-errors.js';
import {
  groupedOrderUpdates,
  ordersCollection,
  toDocument,
  toOrder,
  type OrderDocument,
} from './order-documents.js';
import { OrderMissingError, type OrderPosition, type OrderRepository } from './order-repository.js';

/**
 * The final state a generation of an order takes (see settlementKey), recorded once, with the
 * event it sends (and the outbox marker that says the event waits under the settling run's
 * first lease) and the history it leaves.
 * A FAILED settlement made without an event carries neither.
 */
type SettlementDocument = {
  _id: string;
  updated_at: Date;
  [EXPIRY_FIELD]: string;
  history?: Order['history'];
} & (
  | (Pick<Order, 'status' | 'customer_fullname' | 'product_name' | 'total_amount' | 'event'> & {
      outbox: 'leased';
    })
  | (Pick<Order, 'status' | 'failure' | 'event'> & { outbox: 'leased' })
  | Pick<Order, 'status' | 'failure'>
);

export const SETTLEMENTS_COLLECTION = 'order_settlements';

/** Documents per `insertMany` at most: one transaction on FerretDB, about 11 ms for 100. */
const INSERTS_PER_BULK = 100;

/**
 * How long a settlement record is kept by default: far longer than any run of its order lasts
 * (ORDER_DEADLINE plus one attempt), which is as long as it has a race to decide.
 */
export const DEFAULT_SETTLEMENT_RETENTION_MS = 24 * 3_600_000;

/**
 * Where a generation's settlement is recorded: under the order's id for the order as accepted
 * (generation 0), under the id and generation for each re-drive, so a re-driven
 * order settles again, once, and a late run of an earlier generation cannot decide it.
 */
export function settlementKey(orderId: string, generation: number): string {
  return generation === 0 ? orderId : `${orderId}/${generation}`;
}

/** Orders of `generation`. */
export function ofGeneration(generation: number): Pick<Filter<OrderDocument>, 'generation'> {
  return { generation };
}

/** The record of `settlement` of order `id`, made at `now` and kept until `keepUntil`. */
function settlementDocument({
  id,
  settlement,
  now,
  keepUntil,
}: {
  id: string;
  settlement: Settlement;
  now: Date;
  keepUntil: Date;
}): SettlementDocument {
  const kept = {
    _id: settlementKey(id, settlement.generation ?? 0),
    updated_at: now,
    [EXPIRY_FIELD]: expiryBucket(keepUntil),
    ...(settlement.history === undefined ? {} : { history: settlement.history }),
  };
  if (settlement.status === 'CONFIRMED') {
    return {
      ...kept,
      status: settlement.status,
      ...settlement.details,
      event: settlement.event,
      outbox: 'leased',
    };
  }
  const failed = { ...kept, status: settlement.status, failure: settlement.failure };
  return settlement.event === undefined
    ? failed
    : { ...failed, event: settlement.event, outbox: 'leased' };
}

/** Whether `order` is as `settlement`, made at `now`, left it (and not as another run did). */
function carries(order: Order, settlement: Settlement, now: Date): boolean {
  if (order.status !== settlement.status || order.updated_at.getTime() !== now.getTime())
    return false;
  // Two runs can settle the same way at the same instant; only the winner's event is stored.
  return settlement.event === undefined || order.event?.message_id === settlement.event.message_id;
}

/** Orders past `position` in (created_at, _id) order: before it (`$lt`) or after it (`$gt`). */
function beyond(position: OrderPosition, direction: '$lt' | '$gt'): Filter<OrderDocument>[] {
  return [
    { created_at: { [direction]: position.created_at } },
    { created_at: position.created_at, _id: { [direction]: position.id } },
  ];
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
    await ensureExpiryIndex(db.collection(SETTLEMENTS_COLLECTION));
  });
}

/**
 * The writes every order makes (its insert, its settlement) go out grouped with the concurrent
 * ones of the same kind: one command for many orders (see groupCommit, docs/adr/0010). Each
 * caller still learns its own order's outcome.
 */
export function createMongoOrderRepository(
  db: Db,
  { settlementRetentionMs = DEFAULT_SETTLEMENT_RETENTION_MS } = {},
): OrderRepository {
  const orders = ordersCollection(db);
  const settlements = db.collection<SettlementDocument>(SETTLEMENTS_COLLECTION);
  const sweepSettlements = createExpirySweep(db, db.collection(SETTLEMENTS_COLLECTION));

  /**
   * Whether a settlement of the order accepted at `acceptedAt` may have been recorded and
   * already swept by `now`: it was kept at least `settlementRetentionMs` from its recording,
   * which came after the acceptance. Half the retention leaves room for clocks that differ.
   */
  const mayHaveBeenSwept = (acceptedAt: Date, now: Date) =>
    now.getTime() - acceptedAt.getTime() >= settlementRetentionMs / 2;

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

  /**
   * Applies a recorded settlement, only while the order is in a state that may move to it and
   * still in the generation the settlement ends.
   */
  const applySettlement = ({
    id,
    generation,
    to,
    changes,
  }: {
    id: string;
    generation: number;
    to: OrderStatus;
    changes: Partial<OrderDocument>;
  }) =>
    updateOrder({
      filter: { _id: id, status: { $in: sourceStatesFor(to) }, ...ofGeneration(generation) },
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
        if (after !== null) filter.$or = beyond(after, '$lt');
        const documents = await orders
          .find(filter)
          .sort({ created_at: -1, _id: -1 })
          .limit(limit)
          .toArray();
        return documents.map(toOrder);
      }),

    // Two steps, each safe to repeat. (1) Record the settlement under the order's id: an
    // insert with a taken _id fails atomically on every MongoDB-protocol server, so exactly
    // one settlement per order is recorded while records are kept. (2) Apply the recorded one
    // to the order, only while it is still PENDING. A run that loses step 1, or resumes after
    // a crash between the steps, applies the winner's settlement. See docs/adr/0002.
    settle: (id, settlement, { now, pending }) =>
      guarded(async () => {
        const keepUntil = new Date(now.getTime() + settlementRetentionMs);
        const proposed = settlementDocument({ id, settlement, now, keepUntil });
        const generation = settlement.generation ?? 0;
        const inserted = await recordSettlement(proposed);
        const recorded = inserted ? proposed : await settlements.findOne({ _id: proposed._id });
        if (recorded !== null) {
          const { _id, [EXPIRY_FIELD]: _bucket, ...changes } = recorded;
          const applied = await applySettlement({
            id,
            generation,
            to: recorded.status,
            changes,
          });
          // The winner knows what it wrote, once the store says the write matched: the PENDING
          // order it started from plus its own settlement, unless the order is old enough for
          // an earlier winner's record to have been swept (then an insert proves nothing).
          if (
            applied === 'matched' &&
            inserted &&
            pending !== undefined &&
            !mayHaveBeenSwept(pending.created_at, now)
          )
            return { order: toOrder({ ...toDocument(pending), ...changes }), won: true };
        }
        // Anyone else reads the order as the winner (and the relay) left it. A record missing
        // after a refused insert was swept: its order settled long ago. An order missing
        // settles nothing: its event would announce an order nobody can read.
        const document = await orders.findOne({ _id: id });
        if (document === null) throw new OrderMissingError(id);
        const order = toOrder(document);
        return { order, won: inserted && carries(order, settlement, now) };
      }),

    deleteExpiredSettlements: (now) => guarded(() => sweepSettlements(now)),

    findFailed: ({ failureCode, failedAfter, failedBefore, after, limit }) =>
      guarded(async () => {
        const filter: Filter<OrderDocument> = { status: 'FAILED' };
        if (failureCode !== undefined) filter['failure.code'] = failureCode;
        if (failedAfter !== undefined || failedBefore !== undefined) {
          filter.updated_at = {
            ...(failedAfter === undefined ? {} : { $gte: failedAfter }),
            ...(failedBefore === undefined ? {} : { $lt: failedBefore }),
          };
        }
        if (after !== null) filter.$or = beyond(after, '$gt');
        const documents = await orders
          .find(filter)
          .sort({ created_at: 1, _id: 1 })
          .limit(limit)
          .toArray();
        return documents.map(toOrder);
      }),

    saveRedriven: (order) =>
      guarded(async () => {
        const { status, failure, event, updated_at, generation, redriven_at, history } = order;
        // The order as it was read, still FAILED in the generation before, its event out.
        const result = await orders.updateOne(
          {
            _id: order.id,
            status: 'FAILED',
            ...ofGeneration(generation - 1),
            outbox: { $exists: false },
          },
          { $set: { status, failure, event, updated_at, generation, redriven_at, history } },
        );
        return result.modifiedCount === 1;
      }),

    findPendingAcceptedBefore: (acceptedBefore, limit, after = null) =>
      guarded(async () => {
        const filter: Filter<OrderDocument> = {
          status: 'PENDING',
          created_at: { $lt: acceptedBefore },
        };
        if (after !== null) filter.$or = beyond(after, '$gt');
        const documents = await orders
          .find(filter, {
            projection: {
              _id: 1,
              user_id: 1,
              product_code: 1,
              created_at: 1,
              request_id: 1,
              history: 1,
              generation: 1,
              redriven_at: 1,
            },
          })
          .sort({ created_at: 1, _id: 1 })
          .limit(limit)
          .toArray();
        return documents.map((document) => ({
          id: document._id,
          user_id: document.user_id,
          product_code: document.product_code,
          created_at: document.created_at,
          request_id: document.request_id,
          history: document.history,
          generation: document.generation,
          redriven_at: document.redriven_at,
        }));
      }),
  };
}
