import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from './mongo-errors.js';

/**
 * Records that may go after a while carry `expiry_bucket`: the minute (UTC, `YYYY-MM-DDTHH:MM`)
 * from whose start they may be deleted. A sweep deletes whole buckets by equality, one command
 * each. A range such as `{expires_at: {$lte: now}}` would do on MongoDB, but FerretDB filters
 * ranges itself after reading every record of the collection; equality on a top-level field is
 * what every MongoDB-protocol server hands to an index (docs/adr/0009).
 */
export const EXPIRY_FIELD = 'expiry_bucket';

const MINUTE_MS = 60_000;

/** How many buckets one pass deletes at most: a day's worth, so catching up stays paced. */
const BUCKETS_PER_PASS = 1440;

function label(minuteStartMs: number): string {
  return new Date(minuteStartMs).toISOString().slice(0, 16);
}

function startOf(bucket: string): number {
  return Date.parse(`${bucket}:00.000Z`);
}

/** The bucket of a record kept until `keepUntil`: the first minute starting at or after it. */
export function expiryBucket(keepUntil: Date): string {
  return label(Math.ceil(keepUntil.getTime() / MINUTE_MS) * MINUTE_MS);
}

/**
 * The buckets a pass at `now` deletes, oldest first: every one after `sweptThrough` (the last
 * a pass deleted) that has begun by `now`, at most `limit`. With no earlier pass it starts an
 * hour back: records are written with buckets ahead of the time they are written.
 */
export function bucketsDue(sweptThrough: string | null, now: Date, limit = BUCKETS_PER_PASS) {
  const last = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
  const first = sweptThrough === null ? last - 60 * MINUTE_MS : startOf(sweptThrough) + MINUTE_MS;
  const buckets: string[] = [];
  for (let at = first; at <= last && buckets.length < limit; at += MINUTE_MS)
    buckets.push(label(at));
  return buckets;
}

/** Creating an existing index is a no-op. */
export async function ensureExpiryIndex(collection: Collection): Promise<void> {
  await collection.createIndex({ [EXPIRY_FIELD]: 1 }, { name: EXPIRY_FIELD }, {});
}

interface SweepCursor {
  _id: string;
  swept_through: string;
}

/**
 * Deletes the records of `collection` whose bucket has begun, and returns how many. Where the
 * last pass ended is kept in `sweep_cursors`, so a pass costs one command per minute since
 * the last one (however long the process was away), not one per record kept. Several
 * sweepers at once delete the same buckets twice, which is harmless.
 */
export function createExpirySweep(db: Db, collection: Collection) {
  const cursors = db.collection<SweepCursor>('sweep_cursors');
  const name = collection.collectionName;

  return async function deleteExpired(now: Date): Promise<number> {
    const cursor = await cursors.findOne({ _id: name });
    const buckets = bucketsDue(cursor?.swept_through ?? null, now);
    let deleted = 0;
    for (const bucket of buckets)
      deleted += (await collection.deleteMany({ [EXPIRY_FIELD]: bucket })).deletedCount;
    const sweptThrough = buckets.at(-1);
    if (sweptThrough !== undefined) {
      await cursors
        .updateOne({ _id: name }, { $set: { swept_through: sweptThrough } }, { upsert: true })
        .catch((error: unknown) => {
          if (!isDuplicateKey(error)) throw error; // another sweeper created it at the same time
        });
    }
    return deleted;
  };
}
