import { expect } from 'chai';
import nock from 'nock';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createdOrderEvent } from '../../src/shared/domain/created-order-message.js';
import type { Order } from '../../src/shared/domain/order.js';
import { createMongoOutboxStore } from '../../src/shared/persistence/mongo-outbox-store.js';
import type { OrderQueue } from '../../src/shared/queue/order-queue.js';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { createWorker } from '../../src/worker/create-worker.js';
import { createResourceBreakers } from '../../src/worker/lookups/resource-breakers.js';
import { createWorkerMetrics } from '../../src/worker/observability/worker-metrics.js';
import { createRecoverStrandedOrders } from '../../src/worker/recovery/recover-stranded-orders.js';
import { eventually } from '../support/eventually.js';
import { eventsAbout, listenForEvents, type EventListener } from '../support/event-listener.js';
import { useFencedBreakers } from '../support/fenced-breakers.js';
import { ADA, CLASSIC, PRODUCTS, USERS, fencedReaders } from '../support/fenced-services.js';
import { metricValue } from '../support/metrics.js';
import { deleteParkingAndExchange, takeParkedEvents } from '../support/parking.js';
import { attemptOf, storePendingOrder, storeRedrivenOrder } from '../support/pending-orders.js';
import { services, uniqueName } from '../support/services.js';
import { testLogger } from '../support/test-logger.js';
import { useWorker, withWorker, type OtherWorker } from '../support/worker-fixture.js';

const retry = { attempts: 3, retryBaseDelayMs: 50 };
const DEADLINE_MS = 10 * 60_000;
const LEASE_MS = 5000;
/** How long an order stays PENDING before the sweeps of these tests check it. */
const STALE_AFTER_MS = 30_000;

describe('order worker (built as its process builds it; real Redis, MongoDB-protocol server, RabbitMQ; HTTP faulted by nock)', () => {
  const fenced = useFencedBreakers({
    errorThresholdPercentage: 50,
    volumeThreshold: 100,
    resetTimeoutMs: 1000,
  });
  const fixture = useWorker('test_worker', {
    env: () => ({
      JOB_ATTEMPTS: String(retry.attempts),
      RETRY_BASE_DELAY_MS: String(retry.retryBaseDelayMs),
      WORKER_CONCURRENCY: '8',
      LOOKUP_TIMEOUT_MS: '200',
      LOOKUP_PATIENT_TIMEOUT_MS: '1000',
      OUTBOX_LEASE_MS: String(LEASE_MS),
      EVENT_CONFIRM_TIMEOUT: `${String(LEASE_MS / 2)}ms`,
      ORDER_DEADLINE: `${String(DEADLINE_MS)}ms`,
      BREAKER_RESET_TIMEOUT_MS: '300',
    }),
    // The services fenced by nock, on each test's own breakers.
    readers: () => fencedReaders(() => fenced.breakers),
  });
  let listener: EventListener;
  /** Bound so that FAILED orders' events are routed, not left in the outbox for the relays. */
  let failedOrders: EventListener;

  before(async () => {
    // The fence is for the user and product services; the worker's own port is on this machine.
    nock.enableNetConnect('127.0.0.1');
    listener = await listenForEvents({
      url: services.rabbitmqUrl,
      exchange: fixture.exchange,
      routingKey: 'created_order',
    });
    failedOrders = await listenForEvents({
      url: services.rabbitmqUrl,
      exchange: fixture.exchange,
      routingKey: 'failed_order',
    });
  });
  after(async () => {
    await listener.close();
    await failedOrders.close();
  });

  const processOrder: (typeof fixture)['useCases']['processOrder'] = (attempt) =>
    fixture.useCases.processOrder(attempt);
  const relayOutbox = () => fixture.useCases.relayOutbox();

  /** The outbox as the relays read it, for the test's own look at what is due. */
  const outbox = () => createMongoOutboxStore(fixture.mongo.db, { leaseMs: LEASE_MS });

  /**
   * One pass of the recovery sweep of a worker on this suite's store and queue that checks the
   * orders PENDING for over 30 s (a worker checks those PENDING for longer than its sweep
   * interval); `env` changes more of its configuration.
   */
  function sweepOnce(env: Record<string, string> = {}) {
    return withWorker(
      fixture,
      { env: { RECOVERY_SWEEP_INTERVAL_MS: String(STALE_AFTER_MS), ...env } },
      ({ useCases }) => useCases.recoverStrandedOrders(),
    );
  }

  /** A CONFIRMED order whose event was never published, with its first lease ending at `leaseEnds`. */
  async function confirmedButUnpublished(leaseEnds: Date): Promise<Order> {
    const order = await acceptOrder('ada', 'classic-box');
    const details = {
      customer_fullname: 'Ada Lovelace',
      product_name: 'Classic Box',
      total_amount: 9.99,
    };
    const now = new Date();
    const event = createdOrderEvent(order, details, {
      messageId: randomUUID(),
      producer: 'order-service',
      now,
      leaseMs: leaseEnds.getTime() - now.getTime(),
    });
    const settled = await fixture.orders.settle(
      order.id,
      { status: 'CONFIRMED', details, event },
      { now },
    );
    return settled.order;
  }

  const acceptOrder = (user_id: string, product_code: string, createdAt?: Date) =>
    storePendingOrder(fixture.orders, user_id, product_code, createdAt);

  function finalState(orderId: string): Promise<Order | null> {
    return eventually(
      () => fixture.orders.findById(orderId),
      (order) => order !== null && order.status !== 'PENDING',
      { what: `order ${orderId} to settle`, timeoutMs: 8000 },
    );
  }

  const eventsFor = (orderId: string) => eventsAbout(listener, orderId);

  it('when both services answer, then the order is CONFIRMED and one created_order event is published, all under the request id', async () => {
    const order = await acceptOrder('ada', 'classic-box');
    const requestId = order.request_id ?? '';
    const user = nock(USERS, { reqheaders: { 'x-request-id': requestId } })
      .get('/users/ada')
      .reply(200, ADA);
    const product = nock(PRODUCTS, { reqheaders: { 'x-request-id': requestId } })
      .get('/products/classic-box')
      .reply(200, CLASSIC);
    await fixture.queue.enqueue(order);

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
    expect(event?.message.properties.correlationId).to.equal(requestId);
    expect(event?.body).to.deep.equal(confirmed?.event?.message);
    expect(user.isDone() && product.isDone(), 'both calls carried X-Request-Id').to.be.true;
    await eventually(
      () => fixture.orders.findById(order.id),
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
    await fixture.queue.enqueue(order);

    expect((await finalState(order.id))?.status).to.equal('CONFIRMED');
    expect(user.isDone()).to.be.true;
    expect(nock.pendingMocks()).to.deep.equal([]);
  });

  describe('re-drive', () => {
    const redriven = (createdAt?: Date) =>
      storeRedrivenOrder(fixture.orders, 'ada', 'classic-box', createdAt);

    it('when a re-driven order is queued, then its own job reads it back, confirms it under a settlement of its generation and publishes one created_order', async () => {
      const order = await redriven();
      nock(USERS).get('/users/ada').reply(200, ADA);
      nock(PRODUCTS).get('/products/classic-box').reply(200, CLASSIC);
      await fixture.queue.enqueue(order);

      const confirmed = await finalState(order.id);
      expect(confirmed).to.deep.include({ status: 'CONFIRMED', generation: 1, failure: null });
      expect(confirmed?.history.map((entry) => entry.type === 'state' && entry.by)).to.deep.equal([
        'api',
        'operator',
        false,
        false,
        'worker',
      ]);
      const records = await fixture.mongo.db
        .collection<{ _id: string; status: string }>('order_settlements')
        .find({ _id: { $in: [order.id, `${order.id}/1`] } })
        .toArray();
      expect(records.map((record) => [record._id, record.status])).to.have.deep.members([
        [order.id, 'FAILED'],
        [`${order.id}/1`, 'CONFIRMED'],
      ]);
      await eventually(
        () => Promise.resolve(eventsFor(order.id)),
        (events) => events.length === 1,
        { what: 'one created_order' },
      );
    });

    it('when a late job of the first generation runs after the re-drive, then it leaves the re-driven order alone', async () => {
      const order = await redriven();
      await processOrder(attemptOf(order.id)); // generation 0, read back
      const stored = await fixture.orders.findById(order.id);
      expect(stored).to.deep.include({ status: 'PENDING', generation: 1 });
    });

    it('when an order accepted long before its deadline is re-driven, then its deadline runs from the re-drive and it confirms', async () => {
      const order = await redriven(new Date(Date.now() - DEADLINE_MS - 60_000));
      nock(USERS).get('/users/ada').reply(200, ADA);
      nock(PRODUCTS).get('/products/classic-box').reply(200, CLASSIC);
      await processOrder({ ...attemptOf(order.id), generation: 1 });
      expect((await fixture.orders.findById(order.id))?.status).to.equal('CONFIRMED');
    });

    it('when a re-driven order has no job, then the recovery sweep adds the job of its generation', async () => {
      const order = await redriven(new Date(Date.now() - 60_000));
      nock(USERS).get('/users/ada').reply(200, ADA);
      nock(PRODUCTS).get('/products/classic-box').reply(200, CLASSIC);
      expect((await sweepOnce()).added).to.be.at.least(1);
      const job = await fixture.inspector.getJob(`${order.id}-redrive-1`);
      expect(job?.data).to.deep.include({ orderId: order.id, generation: 1 });
      expect((await finalState(order.id))?.status).to.equal('CONFIRMED');
    });
  });

  describe('history', () => {
    /** The entries without their times, which only need to be in order. */
    const untimed = (order: Order | null) =>
      (order?.history ?? []).map(({ at: _at, ...entry }) => {
        const {
          duration_ms: _duration,
          message: _message,
          ...rest
        } = entry as typeof entry & {
          duration_ms?: number;
          message?: string;
        };
        return rest;
      });

    it('when the user service answers 500 and then 200 for a user it has not answered lately, then the history holds each call of each attempt and the state changes, oldest first, and the retry kept attempt 1 on its job', async () => {
      // A user the other tests have not looked up: for one answered lately, a 500 says nothing
      // about the order, which waits without spending an attempt (see intermittent-resource).
      const order = await acceptOrder('grace', 'classic-box');
      nock(USERS).get('/users/grace').reply(500).get('/users/grace').reply(200, ADA);
      nock(PRODUCTS).get('/products/classic-box').reply(200, CLASSIC);
      await fixture.queue.enqueue(order);

      const confirmed = await finalState(order.id);
      expect(confirmed?.status).to.equal('CONFIRMED');
      expect(untimed(confirmed)).to.deep.equal([
        { type: 'state', from: null, to: 'PENDING', by: 'api' },
        {
          type: 'lookup',
          attempt: 1,
          dependency: 'user',
          resource: 'grace',
          outcome: 'failed',
          failure_code: 'USER_SERVICE_ERROR',
          http_status: 500,
        },
        {
          type: 'lookup',
          attempt: 1,
          dependency: 'product',
          resource: 'classic-box',
          outcome: 'found',
        },
        // The product was known from attempt 1: attempt 2 asked only the user service.
        { type: 'lookup', attempt: 2, dependency: 'user', resource: 'grace', outcome: 'found' },
        { type: 'state', from: 'PENDING', to: 'CONFIRMED', by: 'worker', attempt: 2 },
      ]);
      const times = (confirmed?.history ?? []).map((entry) => entry.at.getTime());
      expect(times, 'oldest first').to.deep.equal([...times].sort((a, b) => a - b));
      expect(confirmed?.history[1]).to.have.property('message').that.contains('HTTP 500');
      // Attempt 1's record rode on the retry's own write: the job's record of its failure.
      const job = await fixture.inspector.getJob(order.id);
      expect(job?.stacktrace).to.have.length(1);
      expect(JSON.parse(job?.stacktrace?.[0] ?? '{}')).to.have.nested.property(
        'history[0].http_status',
        500,
      );
    });

    it('when the product keeps answering 500, then the history holds every attempt and the FAILED change with its code', async () => {
      const order = await acceptOrder('ada', 'veggie-box');
      nock(USERS).get('/users/ada').reply(200, ADA);
      nock(PRODUCTS).get('/products/veggie-box').times(retry.attempts).reply(500);
      await fixture.queue.enqueue(order);

      const failed = await finalState(order.id);
      const products = untimed(failed).filter(
        (entry) => entry.type === 'lookup' && entry.dependency === 'product',
      );
      expect(
        products.map((entry) => [entry.attempt, (entry as { http_status?: number }).http_status]),
      ).to.deep.equal([
        [1, 500],
        [2, 500],
        [3, 500],
      ]);
      expect(untimed(failed).at(-1)).to.deep.equal({
        type: 'state',
        from: 'PENDING',
        to: 'FAILED',
        by: 'worker',
        attempt: 3,
        failure_code: 'PRODUCT_SERVICE_ERROR',
      });
    });

    it('when a job starts after its order deadline, then the history says the deadline FAILED it', async () => {
      const order = await acceptOrder(
        'ada',
        'classic-box',
        new Date(Date.now() - DEADLINE_MS - 1000),
      );
      await processOrder(attemptOf(order.id));
      const failed = await fixture.orders.findById(order.id);
      expect(untimed(failed).at(-1)).to.deep.equal({
        type: 'state',
        from: 'PENDING',
        to: 'FAILED',
        by: 'deadline',
        attempt: 1,
        failure_code: 'DEADLINE_EXCEEDED',
      });
    });
  });

  it('when the user does not exist, then the order FAILS at once with USER_NOT_FOUND and publishes no created_order', async () => {
    nock(USERS).get('/users/ghost').once().reply(404, 'Request was not matched');
    nock(PRODUCTS).get('/products/classic-box').once().reply(200, CLASSIC);
    const order = await acceptOrder('ghost', 'classic-box');
    await fixture.queue.enqueue(order);

    const failed = await finalState(order.id);
    expect(failed?.status).to.equal('FAILED');
    expect(failed?.failure).to.deep.equal({
      code: 'USER_NOT_FOUND',
      message: 'the user service has no user ghost',
    });
    expect(failed?.event?.routing_key, 'its event').to.equal('failed_order');
    expect(eventsFor(order.id)).to.deep.equal([]);
  });

  it('when the product keeps answering 500, then every attempt is used and the order FAILS naming the product service', async () => {
    nock(USERS).get('/users/ada').once().reply(200, ADA);
    const product = nock(PRODUCTS).get('/products/veggie-box').times(retry.attempts).reply(500);
    const order = await acceptOrder('ada', 'veggie-box');
    await fixture.queue.enqueue(order);

    const failed = await finalState(order.id);
    expect(failed?.failure).to.deep.equal({
      code: 'PRODUCT_SERVICE_ERROR',
      message: 'the product service answered HTTP 500 for product veggie-box (retries exhausted)',
    });
    expect(product.isDone(), `${retry.attempts} product calls`).to.be.true;
    expect(eventsFor(order.id)).to.deep.equal([]);
  });

  it('when the job carries the order as accepted, then its first run settles it without reading it back', async () => {
    nock(USERS).get('/users/ada').reply(200, ADA);
    nock(PRODUCTS).get('/products/classic-box').reply(200, CLASSIC);
    const order = await acceptOrder('ada', 'classic-box');
    // The worker's reads of the store: the finds it sent to MongoDB, as its /metrics counts them.
    const finds = async () => {
      const sent = await metricValue(fixture.opsUrl, 'mongodb_commands_total{command="find"}');
      return Number.isNaN(sent) ? 0 : sent;
    };
    const findsBefore = await finds();
    const settled = await processOrder({ ...attemptOf(order.id), accepted: order });
    expect(settled?.status).to.equal('CONFIRMED');
    expect((await finds()) - findsBefore, 'reads').to.equal(0);
  });

  it('when a job runs again after its order settled, then nothing changes and no second event goes out', async () => {
    nock(USERS).get('/users/ada').once().reply(200, ADA);
    nock(PRODUCTS).get('/products/classic-box').once().reply(200, CLASSIC);
    const order = await acceptOrder('ada', 'classic-box');
    const attempt = attemptOf(order.id);
    await processOrder(attempt);
    const afterFirstRun = await fixture.orders.findById(order.id);
    expect(afterFirstRun?.event?.published_at).to.be.instanceOf(Date);
    await processOrder(attempt);
    expect(await fixture.orders.findById(order.id)).to.deep.equal(afterFirstRun);
    await eventually(
      () => Promise.resolve(eventsFor(order.id)),
      (events) => events.length === 1,
    );
    // Whatever the second run published has reached the listener once this fence has.
    await listener.fence();
    expect(eventsFor(order.id)).to.have.length(1);
  });

  it('when the broker refuses the publish, then the order stays CONFIRMED, the job ends, and the relay sends the same message', async () => {
    nock(USERS).get('/users/ada').once().reply(200, ADA);
    nock(PRODUCTS).get('/products/classic-box').once().reply(200, CLASSIC);
    const order = await acceptOrder('ada', 'classic-box');

    // A worker on the same store whose broker refuses every connection.
    const settled = await withWorker(
      fixture,
      { env: { RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:1' } },
      ({ useCases }) => useCases.processOrder(attemptOf(order.id)),
    );
    expect(settled?.status).to.equal('CONFIRMED');
    const stored = await fixture.orders.findById(order.id);
    expect(stored?.event?.published_at).to.equal(null);
    // The lease was handed back at once rather than left to run out.
    const due = await outbox().findDue(new Date(), 100_000);
    expect(due.map((waiting) => waiting.orderId)).to.include(order.id);

    // This suite's worker, whose broker is up, relays it.
    expect(await relayOutbox()).to.be.at.least(1);
    const [event] = await eventually(
      () => Promise.resolve(eventsFor(order.id)),
      (events) => events.length === 1,
    );
    expect(event?.message.properties.messageId).to.equal(stored?.event?.message_id);
    expect(event?.body).to.deep.equal(stored?.event?.message);
    expect((await fixture.orders.findById(order.id))?.event?.published_at).to.be.instanceOf(Date);
  });

  it('when no queue is bound for the event, then the broker keeps it in the parking queue with where it was going, and it leaves the outbox', async () => {
    nock(USERS).get('/users/ada').once().reply(200, ADA);
    nock(PRODUCTS).get('/products/classic-box').once().reply(200, CLASSIC);
    const exchange = uniqueName('test_unbound');
    try {
      const order = await acceptOrder('ada', 'classic-box');
      // A worker on the same store that publishes to an exchange nothing is bound to.
      const settled = await withWorker(
        fixture,
        { env: { ORDERS_EXCHANGE: exchange } },
        ({ useCases }) => useCases.processOrder(attemptOf(order.id)),
      );
      expect(settled?.status).to.equal('CONFIRMED');
      const stored = await fixture.orders.findById(order.id);
      expect(stored?.event?.published_at, 'the broker holds it').to.be.instanceOf(Date);
      const due = await outbox().findDue(new Date(Date.now() + LEASE_MS), 100_000);
      expect(due.map((waiting) => waiting.orderId)).not.to.include(order.id);
      expect(await takeParkedEvents(exchange)).to.deep.equal([
        {
          messageId: stored?.event?.message_id,
          exchange,
          routingKey: 'created_order',
          body: stored?.event?.message,
        },
      ]);
    } finally {
      await deleteParkingAndExchange(exchange);
    }
  });

  it('when the confirming run died holding its lease, then the relay waits for the lease to end and then publishes once', async () => {
    const order = await confirmedButUnpublished(new Date(Date.now() + 600));

    await relayOutbox();
    expect(eventsFor(order.id), 'published while the lease was held').to.deep.equal([]);
    // Relay runs follow each other until one finds the lease over and publishes the event.
    await eventually(
      async () => {
        await relayOutbox();
        return eventsFor(order.id);
      },
      (events) => events.length > 0,
      { what: 'a relay run to publish the event once its lease ended' },
    );
    await eventually(
      () => Promise.resolve(eventsFor(order.id)),
      (events) => events.length === 1,
    );
    const published = await fixture.orders.findById(order.id);
    expect(published?.event?.published_at).to.be.instanceOf(Date);
  });

  it('when a relay died holding its claim, then after a lease time another relay takes the event over', async () => {
    const leaseMs = 300;
    // The relay of a worker on the same store whose leases last 300 ms.
    const env = {
      OUTBOX_LEASE_MS: String(leaseMs),
      EVENT_CONFIRM_TIMEOUT: `${String(leaseMs / 2)}ms`,
    };
    await withWorker(fixture, { env }, async ({ useCases: { relayOutbox: relay } }) => {
      const order = await confirmedButUnpublished(new Date());
      const { event } = order;
      if (event === null) throw new Error('the order has no event');
      // A relay that claimed generation 2 and died before it published.
      await fixture.mongo.db.collection('outbox_claims').insertOne({
        _id: `${event.message_id}/2` as never,
        message_id: event.message_id,
        generation: 2,
        claimed_at: new Date(),
      });

      expect(await relay(), 'the claim is still within its lease').to.equal(0);
      expect(eventsFor(order.id)).to.deep.equal([]);
      // Relay runs follow each other until the claim's lease is over and one takes it over.
      const takenOver = await eventually(
        () => relay(),
        (published) => published > 0,
        { what: 'a relay run to take the abandoned claim over' },
      );
      expect(takenOver, 'the abandoned claim is taken over').to.equal(1);
      await eventually(
        () => Promise.resolve(eventsFor(order.id)),
        (events) => events.length === 1,
      );
      expect(await relay(), 'nothing left for another run').to.equal(0);
    });
  });

  it('when two relays run at once over the same backlog, then every event is published exactly once', async () => {
    const backlog = await Promise.all(
      Array.from({ length: 30 }, () => confirmedButUnpublished(new Date())),
    );
    // This suite's worker and another one on the same store.
    const [first, second] = await withWorker(fixture, {}, ({ useCases }) =>
      Promise.all([relayOutbox(), useCases.relayOutbox()]),
    );
    expect(first + second).to.equal(backlog.length);
    for (const order of backlog) {
      await eventually(
        () => Promise.resolve(eventsFor(order.id)),
        (events) => events.length >= 1,
      );
    }
    // Whatever either relay published has reached the listener once this fence has.
    await listener.fence();
    const duplicates = backlog.filter((order) => eventsFor(order.id).length > 1);
    expect(duplicates.map((order) => order.id)).to.deep.equal([]);
  });

  it('when the product service answers an HTML page, then the order FAILS with PRODUCT_SERVICE_INVALID_RESPONSE and keeps no details', async () => {
    nock(USERS).get('/users/ada').once().reply(200, ADA);
    nock(PRODUCTS)
      .get('/products/classic-box')
      .once()
      .reply(200, '<html><body>Oops</body></html>', { 'content-type': 'text/html' });
    const order = await acceptOrder('ada', 'classic-box');
    await fixture.queue.enqueue(order);

    const failed = await finalState(order.id);
    expect(failed?.failure?.code).to.equal('PRODUCT_SERVICE_INVALID_RESPONSE');
    expect(failed).to.deep.include({
      customer_fullname: null,
      product_name: null,
      total_amount: null,
    });
  });

  it('when the user service cannot be reached for everyone, then orders wait for it without spending their attempts and confirm once it is back', async () => {
    // Breakers that open after three calls and let a trial call through after 300 ms.
    const strict = createResourceBreakers(
      { errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeoutMs: 300 },
      testLogger,
    );
    let userServiceDown = true;
    nock(USERS)
      .persist()
      .get(/\/users\/.+/)
      .reply((path, _body, callback) => {
        if (userServiceDown)
          callback(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), [0]);
        else callback(null, [200, { id: path.split('/').pop(), firstName: 'A', lastName: 'B' }]);
      });
    nock(PRODUCTS).persist().get('/products/classic-box').reply(200, CLASSIC);
    try {
      // A worker taking jobs from a queue of its own, its lookups on those breakers.
      const outageWorker = {
        env: { QUEUE_NAME: uniqueName('test_outage') },
        readers: fencedReaders(() => strict),
        start: true,
      };
      await withWorker(fixture, outageWorker, async ({ queue, inspector }) => {
        const accepted = await Promise.all(
          ['u1', 'u2', 'u3', 'u4', 'u5'].map((user) => acceptOrder(user, 'classic-box')),
        );
        await Promise.all(accepted.map((order) => queue.enqueue(order)));
        // The outage lasts until every job has run more times than it has attempts: three
        // attempts with 50 ms backoffs would all have been spent in it.
        await eventually(
          () => Promise.all(accepted.map((order) => inspector.getJob(order.id))),
          (jobs) => jobs.every((job) => (job?.attemptsStarted ?? 0) > retry.attempts),
          { what: 'every job to run more times than it has attempts' },
        );
        expect(
          (await Promise.all(accepted.map((order) => fixture.orders.findById(order.id)))).map(
            (order) => order?.status,
          ),
          'still waiting',
        ).to.deep.equal(accepted.map(() => 'PENDING'));
        userServiceDown = false;

        const settled = await Promise.all(accepted.map((order) => finalState(order.id)));
        expect(settled.map((order) => order?.status)).to.deep.equal(
          accepted.map(() => 'CONFIRMED'),
        );
        const jobs = await Promise.all(accepted.map((order) => inspector.getJob(order.id)));
        for (const job of jobs) {
          // One failed attempt before the breaker opened, then the one that confirmed; the
          // runs in between waited.
          expect(job?.attemptsMade, 'attempts spent').to.be.at.most(2);
          expect(job?.attemptsStarted, 'runs').to.be.above(job?.attemptsMade ?? Infinity);
        }
      });
    } finally {
      strict.shutdown();
      nock.cleanAll();
    }
  });

  it('when the user service is slow for everyone and its bulkhead is full, then the other orders wait for a place without spending attempts, and all confirm', async () => {
    const maxInFlight = 2;
    let inFlight = 0;
    let mostInFlight = 0;
    nock(USERS)
      .persist()
      .get(/\/users\/.+/)
      .reply((path, _body, callback) => {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        setTimeout(() => {
          inFlight--;
          callback(null, [200, { id: path.split('/').pop(), firstName: 'A', lastName: 'B' }]);
          // Slow enough to keep the bulkhead full, well inside the first attempt's 200 ms
          // limit: a timeout would rightly spend an attempt.
        }, 50);
      });
    nock(PRODUCTS).persist().get('/products/classic-box').reply(200, CLASSIC);
    try {
      // A worker taking jobs from a queue of its own, with two user calls in flight at most.
      const busyWorker = {
        env: { QUEUE_NAME: uniqueName('test_bulkhead'), LOOKUP_MAX_IN_FLIGHT: String(maxInFlight) },
        readers: fencedReaders(() => fenced.breakers),
        start: true,
      };
      await withWorker(fixture, busyWorker, async ({ queue, inspector }) => {
        const accepted = await Promise.all(
          Array.from({ length: 10 }, (_, i) => acceptOrder(`busy-${i}`, 'classic-box')),
        );
        await Promise.all(accepted.map((order) => queue.enqueue(order)));

        const settled = await Promise.all(accepted.map((order) => finalState(order.id)));
        expect(settled.map((order) => order?.status)).to.deep.equal(
          accepted.map(() => 'CONFIRMED'),
        );
        expect(mostInFlight, 'user calls in flight at once').to.equal(maxInFlight);
        // The order is final before its job is: wait until BullMQ has completed every job.
        const jobs = await eventually(
          () => Promise.all(accepted.map((order) => inspector.getJob(order.id))),
          (found) => found.every((job) => job?.finishedOn !== undefined),
          { what: 'every job completed' },
        );
        // Only the confirming run counts as an attempt; the runs refused by the bulkhead waited.
        expect(jobs.map((job) => job?.attemptsMade)).to.deep.equal(accepted.map(() => 1));
        const runs = jobs.reduce((sum, job) => sum + (job?.attemptsStarted ?? 0), 0);
        expect(runs, 'runs, with the waits').to.be.above(accepted.length);
      });
    } finally {
      nock.cleanAll();
    }
  });

  it('when a job starts after its order deadline, then the order FAILS with DEADLINE_EXCEEDED without asking the services', async () => {
    const late = await acceptOrder('ada', 'classic-box', new Date(Date.now() - DEADLINE_MS - 1));

    const failed = await processOrder(attemptOf(late.id));
    expect(failed?.status).to.equal('FAILED');
    expect(failed?.failure?.code).to.equal('DEADLINE_EXCEEDED');
    expect(failed?.failure?.message).to.match(/within 600 s of being accepted/);
  });

  it('when the deadline falls during a slow lookup, then the attempt is cut at the deadline and the order FAILS with DEADLINE_EXCEEDED instead of confirming after it', async () => {
    nock(USERS).get('/users/ada').reply(200, ADA);
    nock(PRODUCTS).get('/products/classic-box').delay(600).reply(200, CLASSIC);
    const nearlyLate = await acceptOrder(
      'ada',
      'classic-box',
      new Date(Date.now() - DEADLINE_MS + 300),
    );
    const started = Date.now();

    // A patient attempt (1 s in these tests) would have waited for the answer at 600 ms.
    const settled = await processOrder({ ...attemptOf(nearlyLate.id), number: 2 });
    expect(settled?.status).to.equal('FAILED');
    expect(settled?.failure?.code).to.equal('DEADLINE_EXCEEDED');
    expect(Date.now() - started).to.be.below(600);
    expect((await fixture.orders.findById(nearlyLate.id))?.status).to.equal('FAILED');
  });

  it('when an order was stored but never queued, then the recovery sweep queues it and it settles', async () => {
    nock(USERS).get('/users/ada').reply(200, ADA);
    nock(PRODUCTS).get('/products/classic-box').reply(200, CLASSIC);
    const stranded = await acceptOrder('ada', 'classic-box', new Date(Date.now() - 60_000));

    expect((await sweepOnce()).added).to.be.at.least(1);
    expect((await finalState(stranded.id))?.status).to.equal('CONFIRMED');
  });

  it('when the job of an order failed for good while the order is PENDING, then the sweep runs it again with fresh attempts', async () => {
    const stranded = await acceptOrder('ada', 'classic-box', new Date(Date.now() - 60_000));
    const brokenQueueName = uniqueName('test_broken');
    // A worker on the same store with one attempt per job, on a queue of its own.
    const env = {
      QUEUE_NAME: brokenQueueName,
      JOB_ATTEMPTS: '1',
      RECOVERY_SWEEP_INTERVAL_MS: String(STALE_AFTER_MS),
    };
    const redis = createRedisConnection(services.redisUrl, 'worker');
    try {
      await withWorker(fixture, { env }, async ({ queue, inspector, useCases }) => {
        // Its jobs are taken where the store went away.
        const brokenWorker = createWorker({
          queueName: brokenQueueName,
          connection: redis,
          concurrency: 1,
          processOrder: () => Promise.reject(new Error('the store went away')),
          dependencyWaitMs: { service: 300, capacity: 100, resource: 100 },
          onFirstRun: () => undefined,
          logger: testLogger,
        });
        try {
          void brokenWorker.run();
          await queue.enqueue(stranded);
          await eventually(
            () => inspector.getJobState(stranded.id),
            (state) => state === 'failed',
          );
        } finally {
          await brokenWorker.close();
        }

        const recover = useCases.recoverStrandedOrders;
        expect((await recover()).retried).to.equal(1);
        const job = await inspector.getJob(stranded.id);
        expect(await job?.getState()).to.equal('waiting');
        expect(job?.attemptsMade).to.equal(0);
        expect((await recover()).present, 'a live job is left alone').to.equal(1);
      });
    } finally {
      redis.disconnect();
      await fixture.orders.settle(
        stranded.id,
        { status: 'FAILED', failure: { code: 'TEST', message: 'cleanup' } },
        { now: new Date() },
      );
    }
  });

  /**
   * `live` PENDING orders with waiting jobs on a queue no worker takes from, and `stranded`
   * newer ones with no job (stored while Redis was away); then `check` with a worker on the
   * same store and that queue, not taking jobs, whose sweep checks orders PENDING for over 50 s.
   */
  async function withBacklog(
    live: number,
    stranded: number,
    check: (idle: OtherWorker, stranded: Order[]) => Promise<void>,
  ) {
    const env = { QUEUE_NAME: uniqueName('test_idle'), RECOVERY_SWEEP_INTERVAL_MS: '50000' };
    await withWorker(fixture, { env }, async (idle) => {
      const older = await Promise.all(
        Array.from({ length: live }, () =>
          acceptOrder('ada', 'family-box', new Date(Date.now() - 120_000)),
        ),
      );
      await Promise.all(older.map((order) => idle.queue.enqueue(order)));
      const newer = await Promise.all(
        Array.from({ length: stranded }, () =>
          acceptOrder('ada', 'classic-box', new Date(Date.now() - 60_000)),
        ),
      );
      await check(idle, newer);
      // Settled, so later sweeps in this file do not meet them.
      const failure = { code: 'TEST', message: 'backlog of a sweep test' };
      await Promise.all(
        [...older, ...newer].map((order) =>
          fixture.orders.settle(order.id, { status: 'FAILED', failure }, { now: new Date() }),
        ),
      );
    });
  }

  it('when 600 older PENDING orders have live jobs, then one sweep still queues the 20 stored while Redis was away', async () => {
    await withBacklog(600, 20, async (idle, stranded) => {
      expect(await idle.useCases.recoverStrandedOrders()).to.deep.include({
        added: 20,
        present: 600,
        expired: 0,
      });
      const queued = await Promise.all(stranded.map((order) => idle.queue.ensureQueued(order)));
      expect(queued).to.deep.equal(stranded.map(() => 'present'));
    });
  });

  it('when a pass reaches its page limit, then the next pass goes on after the last order it saw', async () => {
    await withBacklog(600, 20, async (idle) => {
      // The worker's sweep reads up to 20 pages a pass, a number it takes from no setting: a
      // sweep of one page a pass is wired here, as the worker wires its own.
      const sweep = createRecoverStrandedOrders({
        orders: fixture.orders,
        queue: idle.queue,
        staleAfterMs: 50_000,
        deadlineMs: DEADLINE_MS,
        batchSize: 500,
        maxPages: 1,
        producer: 'order-service',
        newMessageId: randomUUID,
        clock: () => new Date(),
        logger: testLogger,
      });
      expect(await sweep()).to.deep.include({ added: 0, present: 500 });
      expect(await sweep()).to.deep.include({ added: 20, present: 100 });
      // At the end it starts over from the oldest.
      expect(await sweep()).to.deep.include({ added: 0, present: 500 });
    });
  });

  it('when a stranded order is past its deadline, then the sweep FAILS it with DEADLINE_EXCEEDED', async () => {
    const expired = await acceptOrder('ada', 'classic-box', new Date(Date.now() - 120_000));

    expect((await sweepOnce({ ORDER_DEADLINE: '60s' })).expired).to.be.at.least(1);
    const failed = await fixture.orders.findById(expired.id);
    expect(failed?.status).to.equal('FAILED');
    expect(failed?.failure?.code).to.equal('DEADLINE_EXCEEDED');
  });

  it('when one order cannot be queued, then the sweep logs it with its id, counts it as an error, and still settles and queues the orders after it', async () => {
    const now = Date.now();
    // Oldest first, so the sweep meets the order it cannot queue before the others. Its
    // re-drive restarted its deadline: the sweep queues it rather than failing it.
    const unqueueable = await storeRedrivenOrder(
      fixture.orders,
      'ada',
      'classic-box',
      new Date(now - 180_000),
    );
    const expired = [
      await acceptOrder('ada', 'classic-box', new Date(now - 120_000)),
      await acceptOrder('ada', 'classic-box', new Date(now - 100_000)),
    ];
    const stranded = await acceptOrder('ada', 'classic-box', new Date(now - 40_000));
    const logged: { level: number; msg: string; orderId?: string; err?: { message: string } }[] =
      [];
    const logger = pino(
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logged.push(JSON.parse(chunk.toString()) as (typeof logged)[number]);
          done();
        },
      }),
    );
    // A queue no worker takes from.
    const env = { QUEUE_NAME: uniqueName('test_idle') };
    try {
      await withWorker(fixture, { env }, async ({ queue: idle }) => {
        // Redis refuses this one order's job, as it refuses every job while it is away. The
        // worker's sweep is on the worker's own queue, so the sweep on this one is wired
        // here, as the worker wires its own (orders PENDING for over 30 s, a 60 s deadline).
        const refusing: OrderQueue = {
          ...idle,
          ensureQueued: (order) =>
            order.id === unqueueable.id
              ? Promise.reject(new Error('Connection is closed.'))
              : idle.ensureQueued(order),
        };
        const sweep = createRecoverStrandedOrders({
          orders: fixture.orders,
          queue: refusing,
          staleAfterMs: STALE_AFTER_MS,
          deadlineMs: 60_000,
          batchSize: 100,
          producer: 'order-service',
          newMessageId: randomUUID,
          clock: () => new Date(),
          logger,
        });

        const counts = await sweep();
        expect(counts.error).to.equal(1);
        expect(counts.expired).to.be.at.least(2);
        expect(counts.added).to.be.at.least(1);
        for (const order of expired) {
          const failed = await fixture.orders.findById(order.id);
          expect(failed?.status, `${order.id} after the one that threw`).to.equal('FAILED');
          expect(failed?.failure?.code).to.equal('DEADLINE_EXCEEDED');
        }
        expect(await idle.ensureQueued(stranded), 'the job the sweep added').to.equal('present');
        expect((await fixture.orders.findById(unqueueable.id))?.status).to.equal('PENDING');
        const errors = logged.filter((line) => line.orderId === unqueueable.id && line.level >= 40);
        expect(errors).to.have.length(1);
        expect(errors[0]?.err?.message).to.equal('Connection is closed.');
      });
    } finally {
      // Settled in their own generation, so later sweeps in this file do not meet them.
      const failure = { code: 'TEST', message: 'cleanup' };
      await Promise.all(
        [unqueueable, stranded].map(({ id, generation }) =>
          fixture.orders.settle(id, { status: 'FAILED', failure, generation }, { now: new Date() }),
        ),
      );
    }
  });

  it('when a sweep pass reports orders it could not repair, then recovery_sweep_order_errors_total counts them apart from the repairs', async () => {
    const registry = new Registry();
    const metrics = createWorkerMetrics(
      registry,
      {
        queueJobCounts: () => Promise.resolve({}),
        outboxBacklog: () => Promise.resolve(0),
        breakerStates: () => [],
        callsInFlight: () => ({ user: 0, product: 0 }),
      },
      testLogger,
    );
    const value = async (name: string, outcome?: string) => {
      const metric = await registry.getSingleMetric(name)?.get();
      return metric?.values.find((sample) => sample.labels.outcome === outcome)?.value;
    };
    expect(await value('recovery_sweep_order_errors_total')).to.equal(0);

    // As the worker reports each pass.
    const pass = { added: 1, retried: 0, present: 4, expired: 2, error: 3 };
    for (const [outcome, count] of Object.entries(pass)) {
      if (outcome !== 'present') metrics.strandedOrders(outcome, count);
    }

    expect(await value('recovery_sweep_order_errors_total')).to.equal(3);
    expect(await value('stranded_orders_recovered_total', 'expired')).to.equal(2);
    expect(await value('stranded_orders_recovered_total', 'error')).to.equal(undefined);
  });
});
