import type { Db } from 'mongodb';
import type { Logger } from '../observability/logger.js';
import { ensureIdempotencyIndexes } from './mongo-idempotency-store.js';
import { ensureOrderIndexes } from './mongo-order-repository.js';
import { ensureOutboxIndexes } from './mongo-outbox-store.js';

const INDEXES = {
  orders: ensureOrderIndexes,
  outbox: ensureOutboxIndexes,
  idempotency: ensureIdempotencyIndexes,
} as const;

/**
 * Creates the indexes of the collections a process uses. A database that is not reachable yet
 * does not stop the start: queries work without the indexes, only slower, and the next start
 * creates them.
 */
export async function prepareDatabase(
  db: Db,
  collections: readonly (keyof typeof INDEXES)[],
  logger: Logger,
): Promise<void> {
  await Promise.all(collections.map((collection) => INDEXES[collection](db))).catch(
    (error: unknown) => {
      logger.warn({ err: error }, 'could not ensure indexes yet; queries still work, only slower');
    },
  );
}
