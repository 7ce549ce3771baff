import type { Db } from 'mongodb';
import { insertOnce } from './mongo-errors.js';

const migrations = (db: Db) =>
  db.collection<{ _id: string; applied_at: Date }>('schema_migrations');

/**
 * Runs `migrate` unless `schema_migrations` says `name` was applied to `db`, then says so.
 * For changes that read a whole collection: they run once per database, not at every start.
 * Two processes starting at once may both run it, so a migration must be safe to repeat.
 */
export async function runOnce(db: Db, name: string, migrate: () => Promise<void>): Promise<void> {
  if ((await migrations(db).findOne({ _id: name })) !== null) return;
  await migrate();
  await recordApplied(db, name);
}

/** Records `name` as applied without running it (a database that never needed it). */
export async function recordApplied(db: Db, name: string): Promise<void> {
  await insertOnce(() => migrations(db).insertOne({ _id: name, applied_at: new Date() }));
}
