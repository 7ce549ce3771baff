import { MongoClient, type Db } from 'mongodb';

export interface MongoConnection {
  client: MongoClient;
  db: Db;
}

/**
 * Journaled, and by a majority of a replica set's members, so an acknowledged write is not
 * rolled back by a failover. A standalone server (compose's) takes `majority` as itself.
 */
export const DURABLE_WRITES = { w: 'majority', journal: true } as const;

const WRITE_CONCERN_OPTIONS = new Set(['w', 'journal', 'wtimeoutms']);

/** Whether a connection string chooses its own write concern (w, journal or wtimeoutMS). */
export function setsWriteConcern(url: string): boolean {
  const query = url.split('?')[1] ?? '';
  return [...new URLSearchParams(query).keys()].some((key) =>
    WRITE_CONCERN_OPTIONS.has(key.toLowerCase()),
  );
}

/**
 * The driver connects on first use and reconnects by itself, so a process can start while
 * the database is still down. A short server-selection timeout makes an outage surface as a
 * quick error (503 for clients) instead of a request hanging for the driver's default 30 s.
 * A small pool (10, not the driver's 100) keeps writes queued in the driver instead of
 * contending inside the server.
 *
 * Writes are acknowledged only once they survive a crash (DURABLE_WRITES), unless `url` sets
 * its own write concern: an order the API answered 202 for, a settlement and the event it
 * carries must not vanish with an unjournaled write.
 */
export function createMongoConnection(options: {
  url: string;
  database: string;
  timeoutMs: number;
  /** Connections at most; operations beyond it wait their turn in the driver. */
  maxPoolSize?: number;
}): MongoConnection {
  const client = new MongoClient(options.url, {
    serverSelectionTimeoutMS: options.timeoutMs,
    connectTimeoutMS: options.timeoutMs,
    maxPoolSize: options.maxPoolSize ?? 10,
    ...(setsWriteConcern(options.url) ? {} : { writeConcern: DURABLE_WRITES }),
    appName: 'order-service',
    // Every command is counted (mongodb_commands_total): round trips per order are a figure
    // the service is tuned by.
    monitorCommands: true,
  });
  return { client, db: client.db(options.database) };
}
