import { expect } from 'chai';
import { Queue } from 'bullmq';
import { MongoClient } from 'mongodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { eventually } from '../support/eventually.js';
import { listenForEvents, type EventListener } from '../support/event-listener.js';
import { startProcess, type RunningProcess } from '../support/processes.js';
import { services, uniqueName } from '../support/services.js';
import { resetScenarios } from '../support/wiremock.js';

interface OrderBody {
  id: string;
  status: string;
  customer_fullname: string | null;
  product_name: string | null;
  total_amount: number | null;
  created_at: string;
  failure?: { code: string; message: string };
}

interface UseCase {
  n: number;
  user_id: string;
  product_code: string;
  expect:
    | { status: 'CONFIRMED'; customer_fullname: string; product_name: string; total_amount: number }
    | { status: 'FAILED'; code: RegExp };
}

const ADA = 'Ada Lovelace';
const ALAN = 'Alan Turing';
const VEGGIE_FAILURE = /^PRODUCT_SERVICE_(ERROR|CIRCUIT_OPEN)$/;

/** The six use cases of the assignment, and how each must end with the default configuration. */
const USE_CASES: UseCase[] = [
  {
    n: 1,
    user_id: '7c11e1ce2741',
    product_code: 'classic-box',
    expect: {
      status: 'CONFIRMED',
      customer_fullname: ADA,
      product_name: 'Classic Box',
      total_amount: 9.99,
    },
  },
  {
    n: 2,
    user_id: '7c11e1ce2741',
    product_code: 'family-box',
    expect: {
      status: 'CONFIRMED',
      customer_fullname: ADA,
      product_name: 'Family Box',
      total_amount: 14.99,
    },
  },
  {
    n: 3,
    user_id: '7c11e1ce2741',
    product_code: 'veggie-box',
    expect: { status: 'FAILED', code: VEGGIE_FAILURE },
  },
  {
    n: 4,
    user_id: 'e6f24d7d1c7e',
    product_code: 'classic-box',
    expect: {
      status: 'CONFIRMED',
      customer_fullname: ALAN,
      product_name: 'Classic Box',
      total_amount: 9.99,
    },
  },
  {
    n: 5,
    user_id: 'e6f24d7d1c7e',
    product_code: 'family-box',
    expect: {
      status: 'CONFIRMED',
      customer_fullname: ALAN,
      product_name: 'Family Box',
      total_amount: 14.99,
    },
  },
  {
    n: 6,
    user_id: 'e6f24d7d1c7e',
    product_code: 'veggie-box',
    expect: { status: 'FAILED', code: VEGGIE_FAILURE },
  },
];

describe('the six use cases of the assignment, end to end (API and worker processes, real services and WireMock)', function () {
  // family-box answers after 60 s: the slowest case decides the length of this suite.
  this.timeout(150_000);

  const env = {
    MONGO_DB: uniqueName('e2e'),
    QUEUE_NAME: uniqueName('e2e_orders'),
    MONGO_URL: services.mongoUrl,
    REDIS_URL: services.redisUrl,
    RABBITMQ_URL: services.rabbitmqUrl,
    USER_SERVICE_URL: services.userServiceUrl,
    PRODUCT_SERVICE_URL: services.productServiceUrl,
    WORKER_PORT: '0',
  };
  let api: RunningProcess;
  let worker: RunningProcess;
  let apiUrl: string;
  let workerUrl: string;
  let listener: EventListener;
  /** Each settled use case with the request id its POST was answered with. */
  const settled: { n: number; orderId: string; requestId: string | null; status: string }[] = [];

  before(async () => {
    await resetScenarios(services.userServiceUrl);
    listener = await listenForEvents({
      url: services.rabbitmqUrl,
      exchange: 'orders',
      routingKey: 'created_order',
    });
    api = startProcess('api', { ...env, PORT: '0', OPS_PORT: '0' });
    worker = startProcess('worker', env);
    const listening = await api.waitForLog((line) => line.msg === 'api listening');
    apiUrl = `http://127.0.0.1:${String(listening.port)}`;
    const started = await worker.waitForLog((line) => line.msg === 'worker started');
    workerUrl = `http://127.0.0.1:${String(started.port)}`;
  });

  // When a case fails, what the processes said about it is the first thing to read.
  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const process of [api, worker]) {
      for (const line of process.logs.filter((entry) => Number(entry.level) >= 40))
        console.log(`      ${process.name}: ${JSON.stringify(line).slice(0, 600)}`);
    }
  });

  after(async () => {
    await Promise.all([api.stop(), worker.stop()]);
    await listener.close();
    const mongo = new MongoClient(services.mongoUrl);
    await mongo.db(env.MONGO_DB).dropDatabase();
    await mongo.close();
    const redis = createRedisConnection(services.redisUrl, 'worker');
    const queue = new Queue(env.QUEUE_NAME, { connection: redis });
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
  });

  it('when the six orders are posted together, then each ends as the assignment says, and only confirmed ones publish', async () => {
    const started = Date.now();
    const accepted = await Promise.all(
      USE_CASES.map(async (useCase) => {
        const response = await fetch(`${apiUrl}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user_id: useCase.user_id, product_code: useCase.product_code }),
        });
        expect(response.status, `use case ${useCase.n} accepted`).to.equal(202);
        const order = (await response.json()) as OrderBody;
        expect(order.status).to.equal('PENDING');
        expect(response.headers.get('location')).to.equal(`/orders/${order.id}`);
        const requestId = response.headers.get('x-request-id');
        return { useCase, order, requestId, acceptedAt: Date.now() };
      }),
    );
    const acceptMs = Date.now() - started;

    const outcomes = await Promise.all(
      accepted.map(async ({ useCase, order, requestId, acceptedAt }) => {
        // Long-poll as a client would: each answer comes when the order settles, or after 30 s.
        const final = await eventually(
          async () =>
            (
              await fetch(`${apiUrl}/orders/${order.id}`, { headers: { prefer: 'wait=30' } })
            ).json() as Promise<OrderBody>,
          (body) => body.status !== 'PENDING',
          { timeoutMs: 120_000, intervalMs: 10, what: `use case ${useCase.n} to settle` },
        );
        settled.push({ n: useCase.n, orderId: final.id, requestId, status: final.status });
        return { useCase, final, seconds: (Date.now() - acceptedAt) / 1000 };
      }),
    );

    console.log(`\n      six use cases (all accepted in ${acceptMs} ms):`);
    for (const { useCase, final, seconds } of outcomes) {
      const what =
        final.status === 'CONFIRMED'
          ? `${String(final.customer_fullname)}, ${String(final.product_name)}, ${String(final.total_amount)}`
          : `${final.failure?.code ?? ''}: ${final.failure?.message ?? ''}`;
      console.log(
        `      #${useCase.n} ${useCase.user_id} ${useCase.product_code.padEnd(11)} → ${final.status} in ${seconds.toFixed(1)} s (${what})`,
      );
    }

    for (const { useCase, final } of outcomes) {
      const label = `use case ${useCase.n}`;
      if (useCase.expect.status === 'CONFIRMED') {
        expect(final, label).to.include({ ...useCase.expect });
        expect(final.failure, label).to.equal(undefined);
      } else {
        expect(final.status, label).to.equal('FAILED');
        expect(final.failure?.code, label).to.match(useCase.expect.code);
        expect(final.failure?.message, label).to.contain('HTTP 500');
        expect(final.customer_fullname, label).to.equal(null);
      }
    }

    // Slow is not broken, and it does not hold anyone up: classic-box orders finish in
    // seconds while the family-box lookups are still waiting for their 60-second answers.
    const seconds = (n: number) =>
      outcomes.find((outcome) => outcome.useCase.n === n)?.seconds ?? Infinity;
    expect(seconds(1), 'use case 1').to.be.lessThan(3);
    expect(seconds(4), 'use case 4').to.be.lessThan(10);
    expect(seconds(2), 'use case 2').to.be.greaterThan(59);

    // Every CONFIRMED order publishes exactly one created_order; FAILED ones none.
    await sleep(1000);
    for (const { useCase, final } of outcomes) {
      const events = listener.received.filter(
        (event) =>
          (event.body as { payload: { order: { order_id: string } } }).payload.order.order_id ===
          final.id,
      );
      if (final.status === 'CONFIRMED') {
        expect(events, `events of use case ${useCase.n}`).to.have.length(1);
        const [event] = events;
        expect(event?.body).to.deep.include({ producer: 'order-service', type: 'created_order' });
        expect((event?.body as { payload: unknown }).payload).to.deep.equal({
          order: {
            order_id: final.id,
            customer_fullname: final.customer_fullname,
            product_name: final.product_name,
            total_amount: final.total_amount,
            created_at: final.created_at,
          },
        });
        expect(event?.message.properties.contentType).to.equal('application/json');
        expect(event?.message.properties.deliveryMode).to.equal(2);
      } else {
        expect(events, `events of use case ${useCase.n}`).to.deep.equal([]);
      }
    }
  });

  it('when the orders have settled, then the worker logs each state change under its request id and its /metrics counts them', async () => {
    expect(settled).to.have.length(6);
    for (const { orderId, requestId, status } of settled) {
      expect(requestId, 'the API returned a request id').to.be.a('string');
      const change = worker.logs.find(
        (line) => line.msg === 'order state changed' && line.orderId === orderId,
      );
      expect(change, `state change of ${orderId}`).to.deep.include({ requestId, to: status });
    }
    const confirmed = settled.find((useCase) => useCase.n === 1);
    const event = listener.received.find(
      (received) =>
        (received.body as { payload: { order: { order_id: string } } }).payload.order.order_id ===
        confirmed?.orderId,
    );
    expect(event?.message.properties.correlationId).to.equal(confirmed?.requestId);

    const metrics = await (await fetch(`${workerUrl}/metrics`)).text();
    const sample = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? NaN);
    expect(
      sample(/^orders_finished_total\{status="CONFIRMED",failure_code="none"\} (\d+)$/m),
    ).to.equal(4);
    expect(
      sample(
        /^orders_finished_total\{status="FAILED",failure_code="PRODUCT_SERVICE_\w+"\} (\d+)$/m,
      ),
    ).to.be.at.least(1);
    expect(sample(/^events_published_total (\d+)$/m)).to.equal(4);
    expect(sample(/^outbox_backlog_events (\d+)$/m)).to.equal(0);
    expect(
      sample(
        /^dependency_request_duration_seconds_count\{service="product-service",outcome="http-error"\} (\d+)$/m,
      ),
    ).to.be.at.least(1);
    const breakers = (service: string) =>
      ['closed', 'open', 'half_open']
        .map((state) =>
          sample(
            new RegExp(`^circuit_breakers\\{service="${service}",state="${state}"\\} (\\d+)$`, 'm'),
          ),
        )
        .reduce((sum, count) => sum + count, 0);
    // One breaker per resource: three products and two users were looked up.
    expect(breakers('product-service')).to.equal(3);
    expect(breakers('user-service')).to.equal(2);
    expect(sample(/^queue_jobs\{state="completed"\} (\d+)$/m)).to.equal(6);

    const ready = await fetch(`${workerUrl}/health/ready`);
    expect(ready.status).to.equal(200);
    expect(((await ready.json()) as { checks: Record<string, unknown> }).checks).to.have.all.keys(
      'mongodb',
      'redis',
      'rabbitmq',
    );
  });

  it('when the API and the worker get SIGTERM, then both stop cleanly', async () => {
    const [apiExit, workerExit] = await Promise.all([api.stop('SIGTERM'), worker.stop('SIGTERM')]);
    expect({ apiExit, workerExit }).to.deep.equal({ apiExit: 0, workerExit: 0 });
    expect(worker.logs.some((line) => line.msg === 'stopped')).to.be.true;
    expect(api.logs.some((line) => line.msg === 'stopped')).to.be.true;
  });
});
