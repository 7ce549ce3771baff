import { MongoClient } from 'mongodb';
import { dropQueue } from './queues.js';
import { services } from './services.js';

/** Drops a run's throwaway database, on a connection of its own. */
export async function dropDatabase(name: string): Promise<void> {
  const client = new MongoClient(services.mongoUrl);
  try {
    await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
}

/**
 * Removes what a suite left on the real services: its database, and its queue with every job
 * in it. Each suite runs on names of its own (`uniqueName`), so this touches no one else's.
 */
export async function dropRunData(names: { database: string; queueName: string }): Promise<void> {
  await Promise.all([dropDatabase(names.database), dropQueue(names.queueName)]);
}
