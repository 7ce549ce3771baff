import type { Db } from 'mongodb';
import { guarded, insertOnce } from './mongo-errors.js';
import type { IdempotencyRecord, IdempotencyStore } from './idempotency-store.js';

export const IDEMPOTENCY_KEYS_COLLECTION = 'idempotency_keys';

type KeyDocument = Omit<IdempotencyRecord, 'key'> & { _id: string };

/** Keys are expired by a sweep rather than a TTL index, which not every server supports. */
export async function ensureIdempotencyIndexes(db: Db): Promise<void> {
  await guarded(() =>
    db
      .collection<KeyDocument>(IDEMPOTENCY_KEYS_COLLECTION)
      .createIndex({ expires_at: 1 }, { name: 'expires_at' }, {}),
  );
}

export function createMongoIdempotencyStore(db: Db): IdempotencyStore {
  const keys = db.collection<KeyDocument>(IDEMPOTENCY_KEYS_COLLECTION);

  return {
    // The key is the _id, so the insert is the arbiter between concurrent requests.
    remember: (record) =>
      guarded(async () => {
        const { key, ...rest } = record;
        // Twice at most: a key found taken may be swept away before it is read.
        for (let round = 0; round < 2; round++) {
          if (await insertOnce(() => keys.insertOne({ _id: key, ...rest })))
            return { record, fresh: true };
          const existing = await keys.findOne({ _id: key });
          if (existing !== null) {
            const { _id, ...fields } = existing;
            return { record: { key: _id, ...fields }, fresh: false };
          }
        }
        throw new Error(`idempotency key ${key} is changing too fast to be read`);
      }),

    deleteExpired: (now) =>
      guarded(async () => {
        const result = await keys.deleteMany({ expires_at: { $lte: now } });
        return result.deletedCount;
      }),
  };
}
