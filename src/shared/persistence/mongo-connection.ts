import { MongoClient, type Db } from 'mongodb';

export interface MongoConnection {
  client: MongoClient;
  db: Db;
}

/**
 * The driver connects on first use and reconnects by itself, so a process can start while
 * the database is still down. A short server-selection timeout makes an outage surface as a
 * quick error (503 for clients) instead of a request hanging for the driver's default 30 s.
 */
export function createMongoConnection(options: {
  url: string;
  database: string;
  timeoutMs: number;
}): MongoConnection {
  const client = new MongoClient(options.url, {
    serverSelectionTimeoutMS: options.timeoutMs,
    connectTimeoutMS: options.timeoutMs,
    appName: 'order-service',
  });
  return { client, db: client.db(options.database) };
}
