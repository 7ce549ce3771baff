import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { createdOrderEvent } from '../../src/shared/domain/created-order-message.js';
import { failedOrderEvent } from '../../src/shared/domain/failed-order-message.js';
import { newPendingOrder } from '../../src/shared/domain/order-lifecycle.js';
import type { Order } from '../../src/shared/domain/order.js';
import { ordersCollection, toDocument } from '../../src/shared/persistence/order-documents.js';

const BATCH = 1000;
const details = {
  customer_fullname: 'Ada Lovelace',
  product_name: 'Classic Box',
  total_amount: 9.99,
};
const failure = { code: 'USER_NOT_FOUND', message: 'the user service has no user ghost' };

/** A settled order whose event waits for a relay, as after a broker outage. */
function settledWithWaitingEvent(routingKey: 'created_order' | 'failed_order', at: Date): Order {
  const pending = newPendingOrder(
    { id: randomUUID(), user_id: 'ada', product_code: 'classic-box', request_id: null },
    at,
  );
  const context = { messageId: randomUUID(), producer: 'test', now: at, leaseMs: 0 };
  return routingKey === 'created_order'
    ? {
        ...pending,
        status: 'CONFIRMED',
        ...details,
        event: createdOrderEvent(pending, details, context),
        updated_at: at,
      }
    : {
        ...pending,
        status: 'FAILED',
        failure,
        event: failedOrderEvent(pending, failure, context),
        updated_at: at,
      };
}

/**
 * Stores `count` settled orders whose `routingKey` events wait for the relay, their settling
 * run's lease long over and handed back. Written in bulk; returns their ids in order.
 */
export async function storeWaitingEvents(
  db: Db,
  count: number,
  routingKey: 'created_order' | 'failed_order' = 'created_order',
): Promise<string[]> {
  const orders = ordersCollection(db);
  const at = new Date(Date.now() - 3_600_000);
  const ids: string[] = [];
  for (let offset = 0; offset < count; offset += BATCH) {
    const documents = Array.from({ length: Math.min(BATCH, count - offset) }, () => ({
      ...toDocument(settledWithWaitingEvent(routingKey, at)),
      outbox: 'pending' as const,
    }));
    await orders.insertMany(documents);
    ids.push(...documents.map((document) => document._id));
  }
  return ids;
}
