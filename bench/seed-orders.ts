import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { expiryBucket } from '../src/shared/persistence/expiry-buckets.js';
import {
  DEFAULT_SETTLEMENT_RETENTION_MS,
  SETTLEMENTS_COLLECTION,
} from '../src/shared/persistence/mongo-order-repository.js';
import { ORDERS_COLLECTION } from '../src/shared/persistence/order-documents.js';

const BATCH = 1000;

/**
 * Stores `count` orders as the service leaves them after a long run: CONFIRMED, their event
 * published, spread over 1,000 users and older than anything the run will post. Each keeps
 * its settlement record too, which the service would have swept a day after: the bench's
 * database is the larger, costlier one. Written in bulk, before the measurement starts.
 */
export async function seedStoredOrders(db: Db, count: number): Promise<void> {
  const orders = db.collection(ORDERS_COLLECTION);
  const settlements = db.collection(SETTLEMENTS_COLLECTION);
  const start = Date.now() - 30 * 24 * 3600_000;
  for (let offset = 0; offset < count; offset += BATCH) {
    const size = Math.min(BATCH, count - offset);
    const batch = Array.from({ length: size }, (_, i) => {
      const at = new Date(start + (offset + i) * 1000);
      const id = randomUUID();
      const confirmed = {
        status: 'CONFIRMED',
        customer_fullname: 'Stored Customer',
        product_name: 'Classic Box',
        total_amount: 9.99,
        updated_at: new Date(at.getTime() + 500),
        event: {
          message_id: randomUUID(),
          routing_key: 'created_order',
          correlation_id: randomUUID(),
          published_at: new Date(at.getTime() + 600),
          lease: { generation: 1, expires_at: new Date(at.getTime() + 30_500) },
          message: {
            producer: 'order-service',
            sent_at: new Date(at.getTime() + 500).toISOString(),
            type: 'created_order',
            payload: {
              order: {
                order_id: id,
                customer_fullname: 'Stored Customer',
                product_name: 'Classic Box',
                total_amount: 9.99,
                created_at: at.toISOString(),
              },
            },
          },
        },
      };
      return {
        order: {
          _id: id,
          user_id: `stored-user-${String((offset + i) % 1000)}`,
          product_code: 'classic-box',
          failure: null,
          created_at: at,
          request_id: randomUUID(),
          ...confirmed,
        },
        settlement: {
          _id: id,
          status: confirmed.status,
          customer_fullname: confirmed.customer_fullname,
          product_name: confirmed.product_name,
          total_amount: confirmed.total_amount,
          event: confirmed.event,
          outbox: 'pending',
          updated_at: confirmed.updated_at,
          expiry_bucket: expiryBucket(
            new Date(confirmed.updated_at.getTime() + DEFAULT_SETTLEMENT_RETENTION_MS),
          ),
        },
      };
    });
    await orders.insertMany(batch.map(({ order }) => order as never));
    await settlements.insertMany(batch.map(({ settlement }) => settlement as never));
  }
}
