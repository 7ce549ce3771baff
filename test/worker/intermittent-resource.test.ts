import { expect } from 'chai';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import nock from 'nock';
import { randomUUID } from 'node:crypto';
import type { LookupEntry } from '../../src/shared/domain/order-history.js';
import type { Order } from '../../src/shared/domain/order.js';
import {
  createMongoConnection,
  type MongoConnection,
} from '../../src/shared/persistence/mongo-connection.js';
import { createMongoOrderRepository } from '../../src/shared/persistence/mongo-order-repository.js';
import { createMongoOutboxStore } from '../../src/shared/persistence/mongo-outbox-store.js';
import type { OrderRepository } from '../../src/shared/persistence/order-repository.js';
import type { OrderJobData } from '../../src/shared/queue/order-job.js';
import { createOrderQueue, type OrderQueue } from '../../src/shared/queue/order-queue.js';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { createWorker } from '../../src/worker/create-worker.js';
import { LookupError } from '../../src/worker/lookups/lookup-error.js';
import {
  createResourceBreakers,
  type ResourceBreakers,
} from '../../src/worker/lookups/resource-breakers.js';
import type { ResourceReader } from '../../src/worker/lookups/resource-reader.js';
import { createProductReader, createUserReader } from '../../src/worker/lookups/services.js';
import { createProcessOrderUseCase } from '../../src/worker/orders/process-order-use-case.js';
import { eventually } from '../support/eventually.js';
import { publisherWithListener } from '../support/event-listener.js';
import { PRODUCTS, USERS } from '../support/fenced-services.js';
import { storePendingOrder } from '../support/pending-orders.js';
import { dropRunData } from '../support/run-data.js';
import { services, uniqueName } from '../support/services.js';
import { testLogger } from '../support/test-logger.js';

const CLASSIC = { name: 'Classic Box', price: 9.99 };
/** Few attempts, quickly spent: a refusal that cost one would fail orders here. */
const retry = { attempts: 3, retryBaseDelayMs: 50 };

describe('a resource that answers some calls (real Redis and MongoDB-protocol server; HTTP faulted by nock)', () => {
  const queueName = uniqueName('test_intermittent');
  const database = uniqueName('test_intermittent');
  let mongo: MongoConnection;
  let orders: OrderRepository;
  let redis: Redis;
  let queue: OrderQueue;
  let breakers: ResourceBreakers;
  let worker: Worker<OrderJobData>;
  let closeEvents: () => Promise<void>;
  /** Calls the user service's breaker refused without making them. */
  let refusals = 0;

  /** Counts the refusals of the reader it wraps. */
  function countingRefusals<T>(read: ResourceReader<T>): ResourceReader<T> {
    return async (id, limit, requestId) => {
      try {
        return await read(id, limit, requestId);
      } catch (error) {
        if (error instanceof LookupError && error.failure.cause === 'circuit-open') refusals++;
        throw error;
      }
    };
  }

  before(async () => {
    nock.disableNetConnect();
    mongo = createMongoConnection({ url: services.mongoUrl, database, timeoutMs: 2000 });
    orders = createMongoOrderRepository(mongo.db);
    redis = createRedisConnection(services.redisUrl, 'worker');
    queue = createOrderQueue({ name: queueName, connection: redis, retry });
    const events = await publisherWithListener(services.rabbitmqUrl);
    closeEvents = events.close;
    // Opens on half the calls failing, so a resource that fails every other call trips it.
    breakers = createResourceBreakers(
      { errorThresholdPercentage: 40, volumeThreshold: 4, resetTimeoutMs: 300 },
      testLogger,
    );
    worker = createWorker({
      queueName,
      connection: redis,
      concurrency: 16,
      processOrder: createProcessOrderUseCase({
        orders,
        outbox: createMongoOutboxStore(mongo.db, { leaseMs: 5000 }),
        readUser: countingRefusals(createUserReader(USERS, breakers)),
        readProduct: createProductReader(PRODUCTS, breakers),
        publisher: events.publisher,
        lookupTimeouts: { firstMs: 1000, patientMs: 1000 },
        producer: 'order-service',
        eventLeaseMs: 5000,
        deadlineMs: 10 * 60_000,
        newMessageId: randomUUID,
        clock: () => new Date(),
        logger: testLogger,
      }),
      dependencyWaitMs: { service: 300, capacity: 100, resource: 100 },
      onFirstRun: () => undefined,
      logger: testLogger,
    });
    void worker.run();
  });
  after(async () => {
    await worker.close();
    breakers.shutdown();
    nock.cleanAll();
    nock.enableNetConnect();
    await queue.close();
    await closeEvents();
    await mongo.client.close();
    redis.disconnect();
    await dropRunData({ database, queueName });
  });

  async function placeOrders(user: string, product: string, count: number): Promise<Order[]> {
    const placed = await Promise.all(
      Array.from({ length: count }, () => storePendingOrder(orders, user, product)),
    );
    await Promise.all(placed.map((order) => queue.enqueue(order)));
    return placed;
  }

  function settled(placed: Order[], timeoutMs: number): Promise<(Order | null)[]> {
    return eventually(
      () => Promise.all(placed.map((order) => orders.findById(order.id))),
      (found) => found.every((order) => order !== null && order.status !== 'PENDING'),
      { what: 'every order to settle', timeoutMs, intervalMs: 200 },
    );
  }

  const lookups = (order: Order | null, dependency: 'user' | 'product') =>
    (order?.history ?? []).filter(
      (entry): entry is LookupEntry => entry.type === 'lookup' && entry.dependency === dependency,
    );

  it('when a user answers every other call with 500, even while its breaker is open, then every order for it is CONFIRMED and each history holds the real calls', async () => {
    // Alternates for every caller, as the seed's e6f24d7d1c7e does: 500, 200, 500, ...
    let calls = 0;
    nock(USERS)
      .persist()
      .get('/users/flaky')
      .reply(() => {
        calls++;
        return calls % 2 === 1 ? [500] : [200, { firstName: 'Alan', lastName: 'Turing' }];
      });
    nock(PRODUCTS).persist().get('/products/classic-box').reply(200, CLASSIC);
    refusals = 0;

    const placed = await placeOrders('flaky', 'classic-box', 30);
    const final = await settled(placed, 20_000);

    expect(refusals, 'calls the open breaker refused').to.be.greaterThan(0);
    expect(
      final.filter((order) => order?.status !== 'CONFIRMED').map((order) => order?.failure),
      'orders not CONFIRMED',
    ).to.deep.equal([]);
    // Every call the service served is in some order's history, the waits' calls included.
    const made = final.flatMap((order) =>
      lookups(order, 'user').filter(
        (entry) => entry.outcome === 'found' || entry.http_status === 500,
      ),
    );
    expect(made.length, 'real user calls in the histories').to.equal(calls);
    for (const order of final)
      expect(lookups(order, 'user').at(-1)?.outcome, 'the last user call found it').to.equal(
        'found',
      );
  });

  it('when a product answers every call with 500, then its orders still FAIL within a few seconds, refusals counting as its failures', async () => {
    nock(USERS).persist().get('/users/steady').reply(200, { firstName: 'Ada', lastName: 'L' });
    nock(PRODUCTS).persist().get('/products/veggie-box').reply(500);

    const started = Date.now();
    const placed = await placeOrders('steady', 'veggie-box', 10);
    const final = await settled(placed, 10_000);

    expect(Date.now() - started, 'ms until all FAILED').to.be.below(5000);
    expect(final.map((order) => order?.status)).to.deep.equal(placed.map(() => 'FAILED'));
    for (const order of final) {
      expect(order?.failure?.code).to.be.oneOf([
        'PRODUCT_SERVICE_ERROR',
        'PRODUCT_SERVICE_CIRCUIT_OPEN',
      ]);
      expect(order?.failure?.message).to.contain('(retries exhausted)');
    }
  });
});
