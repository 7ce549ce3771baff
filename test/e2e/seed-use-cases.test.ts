import { expect } from 'chai';
import { printWarnings, startApiAndWorker } from '../support/api-and-worker.js';
import { eventsAbout } from '../support/event-listener.js';
import { metricValue } from '../support/metrics.js';
import type { RunningProcess } from '../support/processes.js';
import { dropRunData } from '../support/run-data.js';
import { services, uniqueName } from '../support/services.js';
import {
  describeHistory,
  expectAssignedOutcomes,
  expectCaseFourHistory,
  expectOneEventPerOrder,
  expectUseCaseHistories,
  type HistoryEntryBody,
  type OrderBody,
  readHistories,
  listenForOrderEvents,
  type OrderEventListeners,
  runUseCases,
  type UseCaseOutcome,
} from '../support/use-cases.js';
import { addStub, removeStub, resetScenarios } from '../support/wiremock.js';
import { eventually } from '../support/eventually.js';

const OPERATOR = { user: 'ops-oncall', password: 'an operator password for the e2e test' };
const operatorAuth = `Basic ${Buffer.from(`${OPERATOR.user}:${OPERATOR.password}`).toString('base64')}`;

/** Long-polls an order until it leaves PENDING. */
function settledOrder(apiUrl: string, id: string): Promise<OrderBody> {
  return eventually(
    async () =>
      (
        await fetch(`${apiUrl}/orders/${id}`, { headers: { prefer: 'wait=30' } })
      ).json() as Promise<OrderBody>,
    (body) => body.status !== 'PENDING',
    { timeoutMs: 90_000, intervalMs: 10, what: `order ${id} to settle` },
  );
}

async function historyOf(apiUrl: string, id: string): Promise<HistoryEntryBody[]> {
  const response = await fetch(`${apiUrl}/orders/${id}?include=history`);
  return ((await response.json()) as { history: HistoryEntryBody[] }).history;
}

/** Posts one order and long-polls it until it leaves PENDING. */
async function postAndSettle(
  apiUrl: string,
  { user_id, product_code }: { user_id: string; product_code: string },
): Promise<OrderBody> {
  const response = await fetch(`${apiUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id, product_code }),
  });
  expect(response.status).to.equal(202);
  const { id } = (await response.json()) as OrderBody;
  return settledOrder(apiUrl, id);
}

/**
 * Runs `use` while WireMock's veggie-box answers 200 (a stub above the seed's 500), then puts
 * the 500 back, so that no later test meets the fix.
 */
async function withVeggieBoxFixed<T>(use: () => Promise<T>): Promise<T> {
  const fix = await addStub(services.productServiceUrl, {
    priority: 1,
    request: { method: 'GET', urlPath: '/products/veggie-box' },
    response: {
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      jsonBody: { code: 'veggie-box', name: 'Veggie Box', price: 12.99 },
    },
  });
  try {
    return await use();
  } finally {
    await removeStub(services.productServiceUrl, fix);
  }
}

/** The variables of an API and a worker on a database and queue of their own. */
function stackEnvironment(): Record<string, string> {
  return {
    MONGO_DB: uniqueName('e2e'),
    QUEUE_NAME: uniqueName('e2e_orders'),
    MONGO_URL: services.mongoUrl,
    REDIS_URL: services.redisUrl,
    RABBITMQ_URL: services.rabbitmqUrl,
    USER_SERVICE_URL: services.userServiceUrl,
    PRODUCT_SERVICE_URL: services.productServiceUrl,
    ADMIN_USER: OPERATOR.user,
    ADMIN_PASSWORD: OPERATOR.password,
  };
}

/** Stops both processes and drops their database and queue. */
async function stopStack(
  env: Record<string, string>,
  processes: readonly RunningProcess[],
): Promise<void> {
  await Promise.all(processes.map((process) => process.stop()));
  await dropRunData({ database: env.MONGO_DB ?? '', queueName: env.QUEUE_NAME ?? '' });
}

describe('the six use cases of the assignment, end to end (API and worker processes, real services and WireMock)', function () {
  // family-box answers after 60 s: the slowest case decides the length of this suite.
  this.timeout(150_000);

  const env = stackEnvironment();
  let api: RunningProcess;
  let worker: RunningProcess;
  let apiUrl: string;
  let workerUrl: string;
  let listeners: OrderEventListeners;
  /** The six use cases' run, once the first test that needs it has started it. */
  let sixRun: Promise<UseCaseOutcome[]> | undefined;

  before(async () => {
    listeners = await listenForOrderEvents(services.rabbitmqUrl);
    ({ api, worker, apiUrl, workerUrl } = await startApiAndWorker(env));
  });

  /**
   * The six orders posted together to the suite's processes, once for the suite, by the first
   * test that needs them; resolves when each has settled, published its event, been logged by
   * the worker and had its job completed.
   */
  function sixUseCases(): Promise<UseCaseOutcome[]> {
    sixRun ??= (async () => {
      // Their outcomes rely on the user service's 500/200 alternation from its start.
      await resetScenarios(services.userServiceUrl);
      const outcomes = await runUseCases(apiUrl);
      const listenerOf = (final: OrderBody) =>
        final.status === 'CONFIRMED' ? listeners.created : listeners.failed;
      await eventually(
        async () => ({
          published: outcomes.every(
            ({ final }) => eventsAbout(listenerOf(final), final.id).length > 0,
          ),
          logged: outcomes.every(({ final }) =>
            worker.logs.some(
              (line) => line.msg === 'order state changed' && line.orderId === final.id,
            ),
          ),
          completed: await metricValue(workerUrl, 'queue_jobs{state="completed"}'),
        }),
        ({ published, logged, completed }) => published && logged && completed === outcomes.length,
        { timeoutMs: 15_000, what: 'each order published, logged and its job completed' },
      );
      return outcomes;
    })();
    return sixRun;
  }

  /**
   * Posts one order that FAILS, and waits for its failed_order to be out: an order is
   * re-driven only once its failure has been announced.
   */
  async function failedAndAnnounced(
    url: string,
    order: { n: number; user_id: string; product_code: string },
  ): Promise<OrderBody> {
    const failed = await postAndSettle(url, order);
    expect(failed.status, `use case ${String(order.n)} before the fix`).to.equal('FAILED');
    await eventually(
      () => Promise.resolve(eventsAbout(listeners.failed, failed.id)),
      (events) => events.length > 0,
      { what: `the failed_order of use case ${String(order.n)}` },
    );
    return failed;
  }

  // When a case fails, what the processes said about it is the first thing to read.
  afterEach(function () {
    if (this.currentTest?.state === 'failed') printWarnings([api, worker]);
  });

  after(async () => {
    await stopStack(env, [api, worker]);
    await listeners.close();
  });

  it('when the six orders are posted together, then each ends as the assignment says, and each publishes one event: created_order or failed_order', async () => {
    const outcomes = await sixUseCases();
    expectAssignedOutcomes(outcomes);
    await expectOneEventPerOrder(outcomes, listeners);
    expectUseCaseHistories(await readHistories(apiUrl, outcomes));
  });

  it('when the orders have settled, then the worker logs each state change under its request id and its /metrics counts them', async () => {
    /** Each settled use case with the request id its POST was answered with. */
    const settled = (await sixUseCases()).map(({ useCase, final, requestId }) => ({
      n: useCase.n,
      orderId: final.id,
      requestId,
      status: final.status,
    }));
    expect(settled).to.have.length(6);
    for (const { orderId, requestId, status } of settled) {
      expect(requestId, 'the API returned a request id').to.be.a('string');
      const change = worker.logs.find(
        (line) => line.msg === 'order state changed' && line.orderId === orderId,
      );
      expect(change, `state change of ${orderId}`).to.deep.include({ requestId, to: status });
    }
    const confirmed = settled.find((useCase) => useCase.n === 1);
    const [event] = eventsAbout(listeners.created, confirmed?.orderId ?? '');
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
    // Four created_order and two failed_order events.
    expect(sample(/^events_published_total (\d+)$/m)).to.equal(6);
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

  it('when use case 4 is posted on its own from the start of the scenario, then its history shows the user service answering 500 and then 200', async () => {
    await resetScenarios(services.userServiceUrl);
    const response = await fetch(`${apiUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'e6f24d7d1c7e', product_code: 'classic-box' }),
    });
    const { id } = (await response.json()) as OrderBody;
    expect((await settledOrder(apiUrl, id)).status).to.equal('CONFIRMED');
    const history = await historyOf(apiUrl, id);
    console.log('\n      use case 4 on its own:');
    for (const line of describeHistory(history)) console.log(`          ${line}`);
    expectCaseFourHistory(history);
  });

  it('when use case 3 has FAILED, the veggie-box stub is switched to 200 and an operator re-drives it, then it ends CONFIRMED with exactly one created_order', async () => {
    const failed = await failedAndAnnounced(apiUrl, {
      n: 3,
      user_id: '7c11e1ce2741',
      product_code: 'veggie-box',
    });

    const final = await withVeggieBoxFixed(async () => {
      const redrive = await fetch(`${apiUrl}/admin/orders/${failed.id}/retry`, {
        method: 'POST',
        headers: { authorization: operatorAuth },
      });
      expect(redrive.status).to.equal(202);
      expect(((await redrive.json()) as OrderBody).status).to.equal('PENDING');
      return settledOrder(apiUrl, failed.id);
    });
    expect(final).to.include({
      status: 'CONFIRMED',
      customer_fullname: 'Ada Lovelace',
      product_name: 'Veggie Box',
      total_amount: 12.99,
    });
    const history = await historyOf(apiUrl, failed.id);
    console.log('\n      use case 3, re-driven after the stub fix:');
    for (const line of describeHistory(history)) console.log(`          ${line}`);
    expect(history.filter((entry) => entry.by === 'operator')).to.have.length(1);
    expect(history.at(-1)).to.deep.include({ from: 'PENDING', to: 'CONFIRMED', by: 'worker' });

    await eventually(
      () => Promise.resolve(eventsAbout(listeners.created, failed.id)),
      (events) => events.length >= 1,
      { what: 'the created_order of the re-driven order' },
    );
    await Promise.all([listeners.created.fence(), listeners.failed.fence()]);
    expect(eventsAbout(listeners.created, failed.id), 'created_order').to.have.length(1);
    expect(eventsAbout(listeners.failed, failed.id), 'failed_order').to.have.length(1);
  });

  it('when use case 6 has FAILED alone in its store and, the veggie-box stub switched to 200, is re-driven in bulk by its failure code, then it confirms too, and a second identical request re-drives nothing', async () => {
    // An API and a worker of its own: a bulk re-drive takes every FAILED order of the code,
    // and this store holds no other.
    const ownEnv = stackEnvironment();
    const own = await startApiAndWorker(ownEnv);
    try {
      const failed = await failedAndAnnounced(own.apiUrl, {
        n: 6,
        user_id: 'e6f24d7d1c7e',
        product_code: 'veggie-box',
      });
      const bulk = () =>
        fetch(`${own.apiUrl}/admin/orders/retry`, {
          method: 'POST',
          headers: { authorization: operatorAuth, 'content-type': 'application/json' },
          body: JSON.stringify({ failure_code: failed.failure?.code, limit: 10 }),
        });
      await withVeggieBoxFixed(async () => {
        expect(await (await bulk()).json()).to.deep.equal({
          redriven: 1,
          skipped: 0,
          next_cursor: null,
        });
        expect((await settledOrder(own.apiUrl, failed.id)).status).to.equal('CONFIRMED');
      });
      expect(await (await bulk()).json()).to.deep.equal({
        redriven: 0,
        skipped: 0,
        next_cursor: null,
      });
      await eventually(
        () => Promise.resolve(eventsAbout(listeners.created, failed.id)),
        (events) => events.length >= 1,
        { what: 'the created_order of the re-driven order' },
      );
      await listeners.created.fence();
      expect(eventsAbout(listeners.created, failed.id), 'created_order').to.have.length(1);
    } catch (error) {
      printWarnings([own.api, own.worker]);
      throw error;
    } finally {
      await stopStack(ownEnv, [own.api, own.worker]);
    }
  });

  it('when the API and the worker get SIGTERM, then both stop cleanly', async () => {
    const [apiExit, workerExit] = await Promise.all([api.stop('SIGTERM'), worker.stop('SIGTERM')]);
    expect({ apiExit, workerExit }).to.deep.equal({ apiExit: 0, workerExit: 0 });
    expect(worker.logs.some((line) => line.msg === 'stopped')).to.be.true;
    expect(api.logs.some((line) => line.msg === 'stopped')).to.be.true;
  });
});
