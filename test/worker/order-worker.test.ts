import { expect } from 'chai';
import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import nock from 'nock';
import { randomUUID } from 'node:crypto';
import { newPendingOrder } from '../../src/shared/domain/order-lifecycle.js';
import type { Order } from '../../src/shared/domain/order.js';
import type { EventPublisher } from '../../src/shared/messaging/event-publisher.js';
import {
  createMongoConnection,
  type MongoConnection,
} from '../../src/shared/persistence/mongo-connection.js';
import { createMongoOrderRepository } from '../../src/shared/persistence/mongo-order-repository.js';
import type { OrderRepository } from '../../src/shared/persistence/order-repository.js';
import { createOrderQueue, type OrderQueue } from '../../src/shared/queue/order-queue.js';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { createWorker } from '../../src/worker/create-worker.js';
import {
  createResourceBreakers,
  type ResourceBreakers,
} from '../../src/worker/lookups/resource-breakers.js';
import { createProductReader, createUserReader } from '../../src/worker/lookups/services.js';
import {
  createProcessOrderUseCase,
  type ProcessOrder,
} from '../../src/worker/orders/process-order-use-case.js';
import { createRequeueStrandedOrders } from '../../src/worker/recovery/requeue-stranded-orders.js';
import { eventually } from '../support/eventually.js';
import { publisherWithListener, type EventListener } from '../support/event-listener.js';
import { services, uniqueName } from '../support/services.js';
import { testLogger } from '../support/test-logger.js';

const USERS = 'http://user-service.test';
const PRODUCTS = 'http://product-service.test';
const ADA = { id: 'ada', firstName: 'Ada', lastName: 'Lovelace' };
const CLASSIC = { code: 'classic-box', name: 'Classic Box', price: 9.99 };
const retry = { attempts: 3, retryBaseDelayMs: 50 };

describe('order worker (real Redis, MongoDB-protocol server, RabbitMQ; HTTP faulted by nock)', () => {
  const queueName = uniqueName('test_worker');
  let mongo: MongoConnection;
  let orders: OrderRepository;
  let redis: Redis;
  let queue: OrderQueue;
  let publisher: EventPublisher;
  let listener: EventListener;
  let closeEvents: () => Promise<void>;
  let breakers: ResourceBreakers;
  let processOrder: ProcessOrder;
  let worker: Worker;

  before(async () => {
    nock.disableNetConnect();
    mongo = createMongoConnection({
      url: services.mongoUrl,
      database: uniqueName('test_worker'),
      timeoutMs: 2000,
    });
    orders = createMongoOrderRepository(mongo.db);
    redis = createRedisConnection(services.redisUrl, 'worker');
    queue = createOrderQueue({ name: queueName, connection: redis, retry });
    const events = await publisherWithListener(services.rabbitmqUrl);
    ({ publisher, listener } = events);
    closeEvents = events.close;
    breakers = createResourceBreakers(
      { errorThresholdPercentage: 50, volumeThreshold: 100, resetTimeoutMs: 1000 },
      testLogger,
    );
    processOrder = processOrderWith(publisher);
    worker = createWorker({
      queueName,
      connection: redis,
      concurrency: 8,
      processOrder,
      logger: testLogger,
    });
    void worker.run();
  });
  after(async () => {
    nock.cleanAll();
    nock.enableNetConnect();
    await worker.close();
    breakers.shutdown();
    const inspector = new Queue(queueName, { connection: redis });
    await inspector.obliterate({ force: true });
    await inspector.close();
    await queue.close();
    await closeEvents();
    await mongo.db.dropDatabase();
    await mongo.client.close();
    redis.disconnect();
  });
  afterEach(() => {
    nock.cleanAll();
  });

  /** The worker's use case wired to the real store and the nock-fenced services. */
  function processOrderWith(eventPublisher: EventPublisher): ProcessOrder {
    return createProcessOrderUseCase({
      orders,
      readUser: createUserReader(USERS, breakers),
      readProduct: createProductReader(PRODUCTS, breakers),
      publisher: eventPublisher,
      lookupTimeouts: { firstMs: 200, patientMs: 1000 },
      producer: 'order-service',
      newMessageId: randomUUID,
      clock: () => new Date(),
      logger: testLogger,
    });
  }

  function firstAttempt(orderId: string) {
    return { orderId, number: 1, isLast: false, known: {}, remember: () => Promise.resolve() };
  }

  async function acceptOrder(
    user_id: string,
    product_code: string,
    createdAt = new Date(),
  ): Promise<Order> {
    const order = newPendingOrder({ id: randomUUID(), user_id, product_code }, createdAt);
    await orders.insert(order);
    return order;
  }

  function finalState(orderId: string): Promise<Order | null> {
    return eventually(
      () => orders.findById(orderId),
      (order) => order !== null && order.status !== 'PENDING',
      { what: `order ${orderId} to settle`, timeoutMs: 8000 },
    );
  }

  function eventsFor(orderId: string) {
    return listener.received.filter(
      (event) =>
        (event.body as { payload: { order: { order_id: string } } }).payload.order.order_id ===
        orderId,
    );
  }

  it('when both services answer, then the order is CONFIRMED and one created_order event is published', async () => {
    nock(USERS).get('/users/ada').reply(200, ADA);
    nock(PRODUCTS).get('/products/classic-box').reply(200, CLASSIC);
    const order = await acceptOrder('ada', 'classic-box');
    await queue.enqueue(order.id);

    const confirmed = await finalState(order.id);
    expect(confirmed).to.deep.include({
      status: 'CONFIRMED',
      customer_fullname: 'Ada Lovelace',
      product_name: 'Classic Box',
      total_amount: 9.99,
    });
    const [event] = await eventually(
      () => Promise.resolve(eventsFor(order.id)),
      (events) => events.length === 1,
    );
    expect(event?.message.properties.messageId).to.equal(confirmed?.event?.message_id);
    expect(event?.body).to.deep.equal(confirmed?.event?.message);
    await eventually(
      () => orders.findById(order.id),
      (stored) => stored?.event?.published_at instanceof Date,
      { what: 'the event to be marked published' },
    );
  });

  it('when the product fails once, then the retry asks only the product again and confirms', async () => {
    const user = nock(USERS).get('/users/ada').once().reply(200, ADA);
    nock(PRODUCTS)
      .get('/products/classic-box')
      .reply(503)
      .get('/products/classic-box')
      .reply(200, CLASSIC);
    const order = await acceptOrder('ada', 'classic-box');
    await queue.enqueue(order.id);

    expect((await finalState(order.id))?.status).to.equal('CONFIRMED');
    expect(user.isDone()).to.be.true;
    expect(nock.pendingMocks()).to.deep.equal([]);
  });

  it('when the user does not exist, then the order FAILS at once with USER_NOT_FOUND and publishes nothing', async () => {
    nock(USERS).get('/users/ghost').once().reply(404, 'Request was not matched');
    nock(PRODUCTS).get('/products/classic-box').once().reply(200, CLASSIC);
    const order = await acceptOrder('ghost', 'classic-box');
    await queue.enqueue(order.id);

    const failed = await finalState(order.id);
    expect(failed?.status).to.equal('FAILED');
    expect(failed?.failure).to.deep.equal({
      code: 'USER_NOT_FOUND',
      message: 'the user service has no user ghost',
    });
    expect(failed?.event).to.equal(null);
    expect(eventsFor(order.id)).to.deep.equal([]);
  });

  it('when the product keeps answering 500, then every attempt is used and the order FAILS naming the product service', async () => {
    nock(USERS).get('/users/ada').once().reply(200, ADA);
    const product = nock(PRODUCTS).get('/products/veggie-box').times(retry.attempts).reply(500);
    const order = await acceptOrder('ada', 'veggie-box');
    await queue.enqueue(order.id);

    const failed = await finalState(order.id);
    expect(failed?.failure).to.deep.equal({
      code: 'PRODUCT_SERVICE_ERROR',
      message: 'the product service answered HTTP 500 for product veggie-box (retries exhausted)',
    });
    expect(product.isDone(), `${retry.attempts} product calls`).to.be.true;
    expect(eventsFor(order.id)).to.deep.equal([]);
  });

  it('when a job runs again after its order settled, then nothing changes and no second event goes out', async () => {
    nock(USERS).get('/users/ada').once().reply(200, ADA);
    nock(PRODUCTS).get('/products/classic-box').once().reply(200, CLASSIC);
    const order = await acceptOrder('ada', 'classic-box');
    const attempt = firstAttempt(order.id);
    await processOrder(attempt);
    const afterFirstRun = await orders.findById(order.id);
    expect(afterFirstRun?.event?.published_at).to.be.instanceOf(Date);
    await processOrder(attempt);
    expect(await orders.findById(order.id)).to.deep.equal(afterFirstRun);
    await eventually(
      () => Promise.resolve(eventsFor(order.id)),
      (events) => events.length === 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(eventsFor(order.id)).to.have.length(1);
  });

  it('when the broker fails the first publish, then the order stays CONFIRMED with its event unpublished, and the retry sends the same message', async () => {
    nock(USERS).get('/users/ada').once().reply(200, ADA);
    nock(PRODUCTS).get('/products/classic-box').once().reply(200, CLASSIC);
    let refusals = 1;
    const flakyBroker: EventPublisher = {
      publish: (event) =>
        refusals-- > 0 ? Promise.reject(new Error('broker unavailable')) : publisher.publish(event),
      close: () => Promise.resolve(),
    };
    const processWithFlakyBroker = processOrderWith(flakyBroker);
    const order = await acceptOrder('ada', 'classic-box');
    const attempt = firstAttempt(order.id);

    const refused = await processWithFlakyBroker(attempt).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(Error);
    const stored = await orders.findById(order.id);
    expect(stored?.status).to.equal('CONFIRMED');
    expect(stored?.event?.published_at).to.equal(null);

    await processWithFlakyBroker({ ...attempt, number: 2 });
    const [event] = await eventually(
      () => Promise.resolve(eventsFor(order.id)),
      (events) => events.length === 1,
    );
    expect(event?.message.properties.messageId).to.equal(stored?.event?.message_id);
    expect(event?.body).to.deep.equal(stored?.event?.message);
    expect((await orders.findById(order.id))?.event?.published_at).to.be.instanceOf(Date);
  });

  it('when an order was stored but never queued, then the recovery sweep queues it and it settles', async () => {
    nock(USERS).get('/users/ada').reply(200, ADA);
    nock(PRODUCTS).get('/products/classic-box').reply(200, CLASSIC);
    const stranded = await acceptOrder('ada', 'classic-box', new Date(Date.now() - 60_000));
    const requeue = createRequeueStrandedOrders({
      orders,
      queue,
      staleAfterMs: 30_000,
      batchSize: 100,
      clock: () => new Date(),
      logger: testLogger,
    });
    expect(await requeue()).to.be.greaterThan(0);
    expect((await finalState(stranded.id))?.status).to.equal('CONFIRMED');
  });
});
