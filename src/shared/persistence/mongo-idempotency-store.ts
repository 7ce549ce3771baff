import type { Db } from 'mongodb';
import {
  EXPIRY_FIELD,
  createExpirySweep,
  ensureExpiryIndex,
  expiryBucket,
} from './expiry-buckets.js';
import { guarded, insertOnce } from './mongo-errors.js';
import type { IdempotencyRecord, IdempotencyStore } from './idempotency-store.js';

export const IDEMPOTENCY_KEYS_COLLECTION = 'idempotency_keys';

type KeyDocument = Omit<IdempotencyRecord, 'key'> & { _id: string; [EXPIRY_FIELD]?: string };

/**
 * Keys are expired by a sweep of expiry buckets rather than a TTL index, which not every
 * server supports; the sweep reads them by the bucket index made here.
 */
export async function ensureIdempotencyIndexes(db: Db): Promise<void> {
  await guarded(() => ensureExpiryIndex(db.collection(IDEMPOTENCY_KEYS_COLLECTION)));
}

export function createMongoIdempotencyStore(db: Db): IdempotencyStore {
  const keys = db.collection<KeyDocument>(IDEMPOTENCY_KEYS_COLLECTION);
  const sweep = createExpirySweep(db, db.collection(IDEMPOTENCY_KEYS_COLLECTION));

  return {
    // The key is the _id, so the insert is the arbiter between concurrent requests.
    remember: (record) =>
      guarded(async () => {
        const { key, ...rest } = record;
        const document = { _id: key, ...rest, [EXPIRY_FIELD]: expiryBucket(rest.expires_at) };
        // Twice at most: a key found taken may be swept away before it is read.
        for (let round = 0; round < 2; round++) {
          if (await insertOnce(() => keys.insertOne(document))) return { record, fresh: true };
          const existing = await keys.findOne({ _id: key });
          if (existing !== null) {
            const { _id, [EXPIRY_FIELD]: _bucket, ...fields } = existing;
            return { record: { key: _id, ...fields }, fresh: false };
          }
        }
        throw new Error(`idempotency key ${key} is changing too fast to be read`);
      }),

    recordOutcome: (key, outcome) =>
      guarded(async () => {
        await keys.updateOne({ _id: key }, { $set: { outcome } });
      }),

    deleteExpired: (now) => guarded(() => sweep(now)),
  };
}
