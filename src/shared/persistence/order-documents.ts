import type { AnyBulkWriteOperation, Collection, Db, Filter, UpdateFilter } from 'mongodb';
import { groupCommit } from '../batching/group-commit.js';
import type { Order } from '../domain/order.js';
import { itemErrors } from './mongo-errors.js';

export const ORDERS_COLLECTION = 'orders';

/**
 * An order as stored. `outbox` marks an order whose event waits for the broker, from the
 * settlement that stores the event until the publish is recorded: `leased` while a publisher
 * holds the event's lease (the settling run first), `pending` once it is up for any relay. The
 * relay and the backlog count look for it alone: a top-level equality is the one filter every
 * MongoDB-protocol server hands to its storage (FerretDB filters nested fields itself, after
 * reading every CONFIRMED order), so their cost follows the backlog, not the number of orders.
 */
export type OutboxMarker = 'leased' | 'pending';

export type OrderDocument = Omit<Order, 'id'> & {
  _id: string;
  outbox?: OutboxMarker;
};

export function ordersCollection(db: Db): Collection<OrderDocument> {
  return db.collection<OrderDocument>(ORDERS_COLLECTION);
}

export function toDocument({ id, ...rest }: Order): OrderDocument {
  return { _id: id, ...rest };
}

export function toOrder({ _id, outbox: _outbox, ...rest }: OrderDocument): Order {
  return { id: _id, ...rest };
}

/** A change to one order: its filter names the order's _id. */
export interface OrderUpdate {
  filter: Filter<OrderDocument> & { _id: string };
  update: UpdateFilter<OrderDocument>;
}

/**
 * Updates per bulk write at most. FerretDB applies a command's statements one after another
 * (about 1.2 ms each), so a bulk of 100 made every order in it wait some 120 ms: a healthy
 * order's settlement queued behind a burst of failing ones. Sixteen keep a bulk near 20 ms
 * while still sending a sixteenth of the commands.
 */
const UPDATES_PER_BULK = 16;

/**
 * What a grouped update can tell its caller. `matched`: every change of its bulk write found
 * its order. `unknown`: at least one did not, and the server counts matches per command, not
 * per statement, so the caller looks at its own order to learn whether its change applied.
 */
export type UpdateOutcome = 'matched' | 'unknown';

/**
 * Applies each change with the concurrent ones in one unordered bulk write (see groupCommit).
 * Each goes out as an `updateMany`, though its filter names one _id: on MongoDB the two are the
 * same for such a filter, but FerretDB 1.24 holds a PostgreSQL connection for every
 * single-document update statement of a command until the whole command ends, while a
 * multi-document statement reads its match to the end and gives the connection back at once.
 * A bulk of 100 `updateOne`s deadlocked its pool of 50 (ADR 10). Bulks of 16 do not make
 * `updateOne` safe again: a fuller burst goes out as several bulks at once (100 settlements
 * are seven commands in flight, up to the driver's pool, MONGO_MAX_POOL_SIZE), so as many
 * statements would still hold connections together.
 */
export function groupedOrderUpdates(
  orders: Collection<OrderDocument>,
  maxBatch = UPDATES_PER_BULK,
): (change: OrderUpdate) => Promise<UpdateOutcome> {
  const asBulkOperation = (change: OrderUpdate): AnyBulkWriteOperation<OrderDocument> => ({
    updateMany: change,
  });
  return groupCommit<OrderUpdate, UpdateOutcome>(
    async (changes) => {
      let matched = 0;
      const refused = await itemErrors(changes.length, async () => {
        ({ matchedCount: matched } = await orders.bulkWrite(changes.map(asBulkOperation), {
          ordered: false,
        }));
      });
      // Each filter names one _id, so the count reaches the number of changes only when every
      // one of them matched.
      const outcome: UpdateOutcome = matched === changes.length ? 'matched' : 'unknown';
      return refused.map((error) => error ?? outcome);
    },
    { maxBatch },
  );
}
