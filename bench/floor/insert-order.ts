/**
 * Floor part 3, the store alone: a new PENDING order written with the order repository's
 * own insert, which group-commits the concurrent ones into one `insertMany`, over the API's
 * connection settings (pool, write concern, timeouts) into a collection with the service's
 * indexes. The database is the scenario's own; the parent drops it.
 */
import { randomUUID } from 'node:crypto';
import { loadApiConfig } from '../../src/shared/config/config.js';
import { newPendingOrder } from '../../src/shared/domain/order-lifecycle.js';
import { createMongoConnection } from '../../src/shared/persistence/mongo-connection.js';
import {
  createMongoOrderRepository,
  ensureOrderIndexes,
} from '../../src/shared/persistence/mongo-order-repository.js';
import { INSTANT_ORDER } from '../stubs.js';
import { serveFloorPart } from './child.js';

await serveFloorPart(async () => {
  const config = loadApiConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const mongo = createMongoConnection(config.mongo);
  // Inserts maintain every index, so the floor's collection has the service's (the API
  // creates them when it starts).
  await ensureOrderIndexes(mongo.db);
  const orders = createMongoOrderRepository(mongo.db);
  return {
    runOne: async () => {
      const order = newPendingOrder(
        { id: randomUUID(), ...INSTANT_ORDER, request_id: randomUUID() },
        new Date(),
      );
      // False is an id already taken: not a write, and a fresh id never takes that path.
      if (!(await orders.insert(order))) throw new Error(`order ${order.id} was not inserted`);
    },
    close: () => mongo.client.close(),
  };
});
