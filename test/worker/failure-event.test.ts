import { expect } from 'chai';
import nock from 'nock';
import type { OrderAttempt } from '../../src/worker/orders/order-attempt.js';
import { eventually } from '../support/eventually.js';
import { eventsAbout, listenForEvents, type EventListener } from '../support/event-listener.js';
import { useFencedBreakers } from '../support/fenced-breakers.js';
import { ADA, CLASSIC, PRODUCTS, USERS, fencedReaders } from '../support/fenced-services.js';
import { deleteParkingAndExchange, takeParkedEvents } from '../support/parking.js';
import { attemptOf, storePendingOrder } from '../support/pending-orders.js';
import { services, uniqueName } from '../support/services.js';
import { useWorker, withWorker } from '../support/worker-fixture.js';

const DEADLINE_MS = 10 * 60_000;
const LEASE_MS = 5000;

describe('failed_order event (worker built as its process builds it, its use cases run by the tests; real MongoDB-protocol server and RabbitMQ; HTTP fenced by nock)', () => {
  const fenced = useFencedBreakers({
    errorThresholdPercentage: 50,
    volumeThreshold: 100,
    resetTimeoutMs: 1000,
  });
  const fixture = useWorker('test_failures', {
    env: () => ({
      LOOKUP_TIMEOUT_MS: '200',
      LOOKUP_PATIENT_TIMEOUT_MS: '1000',
      OUTBOX_LEASE_MS: String(LEASE_MS),
      EVENT_CONFIRM_TIMEOUT: `${String(LEASE_MS / 2)}ms`,
      ORDER_DEADLINE: `${String(DEADLINE_MS)}ms`,
    }),
    // The services fenced by nock, on each test's own breakers.
    readers: () => fencedReaders(() => fenced.breakers),
    // It takes no jobs: the tests run its use cases themselves.
    start: false,
  });
  /** A consumer of failed orders, and one of confirmed orders, on the worker's exchange. */
  let failures: EventListener;
  let confirmations: EventListener;

  before(async () => {
    failures = await listenForEvents({
      url: services.rabbitmqUrl,
      exchange: fixture.exchange,
      routingKey: 'failed_order',
    });
    confirmations = await listenForEvents({
      url: services.rabbitmqUrl,
      exchange: fixture.exchange,
      routingKey: 'created_order',
    });
  });
  after(async () => {
    await failures.close();
    await confirmations.close();
  });

  const processOrder = (attempt: OrderAttempt) => fixture.useCases.processOrder(attempt);

  const acceptOrder = (user_id: string, product_code: string, createdAt?: Date) =>
    storePendingOrder(fixture.orders, user_id, product_code, createdAt);
  /** The one failed_order of `orderId`, once it arrived; then a pause, so a second would show. */
  async function onlyFailedOrderOf(orderId: string) {
    await eventually(
      () => Promise.resolve(eventsAbout(failures, orderId)),
      (events) => events.length >= 1,
      { what: `the failed_order of ${orderId}` },
    );
    await Promise.all([failures.fence(), confirmations.fence()]);
    const events = eventsAbout(failures, orderId);
    expect(events, 'failed_order messages').to.have.length(1);
    expect(eventsAbout(confirmations, orderId), 'created_order messages').to.deep.equal([]);
    const [event] = events;
    if (event === undefined) throw new Error('no event');
    return event;
  }

  it('when the user does not exist, then the FAILED order publishes one failed_order with the failure, in the documented schema, and no created_order', async () => {
    nock(USERS).get('/users/ghost').once().reply(404, 'Request was not matched');
    nock(PRODUCTS).get('/products/classic-box').once().reply(200, CLASSIC);
    const order = await acceptOrder('ghost', 'classic-box');

    const failed = await processOrder(attemptOf(order.id));
    expect(failed?.status).to.equal('FAILED');
    const event = await onlyFailedOrderOf(order.id);
    const stored = await fixture.orders.findById(order.id);
    expect(event.body).to.deep.equal({
      producer: 'order-service',
      sent_at: stored?.updated_at.toISOString(),
      type: 'failed_order',
      payload: {
        order: {
          order_id: order.id,
          user_id: 'ghost',
          product_code: 'classic-box',
          failure_code: 'USER_NOT_FOUND',
          failure_message: 'the user service has no user ghost',
          created_at: order.created_at.toISOString(),
        },
      },
    });
    expect(stored?.failure).to.deep.equal({
      code: 'USER_NOT_FOUND',
      message: 'the user service has no user ghost',
    });
    expect(event.message.fields.routingKey).to.equal('failed_order');
    expect(event.message.properties).to.deep.include({
      messageId: stored?.event?.message_id,
      correlationId: order.request_id,
      type: 'failed_order',
      contentType: 'application/json',
      deliveryMode: 2,
    });
    expect(stored?.event?.published_at, 'recorded as published').to.be.instanceOf(Date);
  });

  it('when the product keeps answering 500 to the last attempt, then the order FAILS and its failed_order says why', async () => {
    nock(USERS).get('/users/ada').once().reply(200, ADA);
    nock(PRODUCTS).get('/products/veggie-box').once().reply(500);
    const order = await acceptOrder('ada', 'veggie-box');

    await processOrder(attemptOf(order.id, 3, true));
    const event = await onlyFailedOrderOf(order.id);
    expect((event.body as { payload: { order: unknown } }).payload.order).to.deep.include({
      failure_code: 'PRODUCT_SERVICE_ERROR',
      failure_message:
        'the product service answered HTTP 500 for product veggie-box (retries exhausted)',
    });
  });

  it('when a lookup fails but attempts are left, then the order stays PENDING and nothing is published', async () => {
    nock(USERS).get('/users/ada').once().reply(200, ADA);
    nock(PRODUCTS).get('/products/veggie-box').once().reply(500);
    const order = await acceptOrder('ada', 'veggie-box');

    const run = await processOrder(attemptOf(order.id)).catch((error: unknown) => error);
    expect(run).to.be.instanceOf(Error);
    await failures.fence();
    expect((await fixture.orders.findById(order.id))?.event).to.equal(null);
    expect(eventsAbout(failures, order.id)).to.deep.equal([]);
  });

  it('when an order is confirmed, then it publishes its created_order and no failed_order', async () => {
    nock(USERS).get('/users/ada').once().reply(200, ADA);
    nock(PRODUCTS).get('/products/classic-box').once().reply(200, CLASSIC);
    const order = await acceptOrder('ada', 'classic-box');

    expect((await processOrder(attemptOf(order.id)))?.status).to.equal('CONFIRMED');
    await eventually(
      () => Promise.resolve(eventsAbout(confirmations, order.id)),
      (events) => events.length === 1,
      { what: 'the created_order' },
    );
    await failures.fence();
    expect(eventsAbout(failures, order.id)).to.deep.equal([]);
  });

  it('when two runs fail the same order at once, then one failed_order goes out', async () => {
    nock(USERS).get('/users/ghost').twice().reply(404, 'Request was not matched');
    nock(PRODUCTS).get('/products/classic-box').twice().reply(200, CLASSIC);
    const order = await acceptOrder('ghost', 'classic-box');

    const runs = await Promise.all([
      processOrder(attemptOf(order.id)),
      processOrder(attemptOf(order.id)),
    ]);
    expect(runs.map((run) => run?.status)).to.deep.equal(['FAILED', 'FAILED']);
    const event = await onlyFailedOrderOf(order.id);
    expect(event.message.properties.messageId).to.equal(
      (await fixture.orders.findById(order.id))?.event?.message_id,
    );
  });

  it('when a job starts after its order deadline, then the order FAILS with DEADLINE_EXCEEDED and publishes one failed_order', async () => {
    const late = await acceptOrder('ada', 'classic-box', new Date(Date.now() - DEADLINE_MS - 1));

    const failed = await processOrder(attemptOf(late.id));
    expect(failed?.failure?.code).to.equal('DEADLINE_EXCEEDED');
    const event = await onlyFailedOrderOf(late.id);
    expect((event.body as { payload: { order: unknown } }).payload.order).to.deep.include({
      failure_code: 'DEADLINE_EXCEEDED',
      failure_message: failed?.failure?.message,
    });
  });

  it('when the deadline falls during a slow lookup, then the order FAILS with DEADLINE_EXCEEDED and publishes one failed_order', async () => {
    nock(USERS).get('/users/ada').reply(200, ADA);
    nock(PRODUCTS).get('/products/classic-box').delay(600).reply(200, CLASSIC);
    const nearlyLate = await acceptOrder(
      'ada',
      'classic-box',
      new Date(Date.now() - DEADLINE_MS + 300),
    );

    const settled = await processOrder(attemptOf(nearlyLate.id, 2));
    expect(settled?.failure?.code).to.equal('DEADLINE_EXCEEDED');
    const event = await onlyFailedOrderOf(nearlyLate.id);
    expect((event.body as { payload: { order: unknown } }).payload.order).to.deep.include({
      failure_code: 'DEADLINE_EXCEEDED',
    });
  });

  it('when the recovery sweep fails a stranded order past its deadline, then it publishes nothing itself, the event is due at once, and the relay publishes one failed_order', async () => {
    const stranded = await acceptOrder('ada', 'classic-box', new Date(Date.now() - 120_000));
    // The sweep of a worker on the same store and queue that checks the orders PENDING for
    // over 30 s, with a 60 s deadline.
    const env = { RECOVERY_SWEEP_INTERVAL_MS: '30000', ORDER_DEADLINE: '60s' };
    const counts = await withWorker(fixture, { env }, ({ useCases }) =>
      useCases.recoverStrandedOrders(),
    );

    expect(counts.expired).to.equal(1);
    // The sweep queues no order it fails; any job on the queue would show here.
    const queued = (await fixture.inspector.getJobs()).map(
      (job) => (job.data as { orderId: string }).orderId,
    );
    expect(queued).to.deep.equal([]);
    const failed = await fixture.orders.findById(stranded.id);
    expect(failed?.failure?.code).to.equal('DEADLINE_EXCEEDED');
    expect(failed?.event?.published_at).to.equal(null);
    expect(failed?.event?.lease.expires_at.getTime()).to.be.at.most(Date.now());
    await failures.fence();
    expect(eventsAbout(failures, stranded.id), 'published by the sweep').to.deep.equal([]);

    expect(await fixture.useCases.relayOutbox()).to.equal(1);
    const event = await onlyFailedOrderOf(stranded.id);
    expect(event.message.properties.messageId).to.equal(failed?.event?.message_id);
    expect(event.body).to.deep.equal(failed?.event?.message);
    expect((event.body as { payload: { order: unknown } }).payload.order).to.deep.include({
      user_id: 'ada',
      product_code: 'classic-box',
      failure_code: 'DEADLINE_EXCEEDED',
    });
    expect((await fixture.orders.findById(stranded.id))?.event?.published_at).to.be.instanceOf(
      Date,
    );
  });

  it('when only created_order is bound, then the failed_order is parked with where it was going and leaves the outbox at once, and created_order consumers see none of it', async () => {
    nock(USERS).get('/users/ghost').once().reply(404, 'Request was not matched');
    nock(PRODUCTS).get('/products/classic-box').once().reply(200, CLASSIC);
    // A deployment whose consumers know only created_order.
    const createdOnly = uniqueName('test_created_only');
    const confirmationsOnly = await listenForEvents({
      url: services.rabbitmqUrl,
      exchange: createdOnly,
      routingKey: 'created_order',
    });
    try {
      const order = await acceptOrder('ghost', 'classic-box');
      // A worker on the same store that publishes to that deployment's exchange.
      await withWorker(fixture, { env: { ORDERS_EXCHANGE: createdOnly } }, async ({ useCases }) => {
        expect((await useCases.processOrder(attemptOf(order.id)))?.status).to.equal('FAILED');
        const stored = await fixture.orders.findById(order.id);
        expect(stored?.event?.published_at, 'the broker holds it').to.be.instanceOf(Date);
        expect(await useCases.relayOutbox(), 'nothing left to relay').to.equal(0);
        expect(await takeParkedEvents(createdOnly)).to.deep.equal([
          {
            messageId: stored?.event?.message_id,
            exchange: createdOnly,
            routingKey: 'failed_order',
            body: stored?.event?.message,
          },
        ]);
        expect(confirmationsOnly.received, 'created_order consumers').to.deep.equal([]);
      });
    } finally {
      await confirmationsOnly.close();
      await deleteParkingAndExchange(createdOnly);
    }
  });
});
