import { expect } from 'chai';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../support/eventually.js';
import { peakRssMb, type RunningProcess } from '../support/processes.js';
import { services } from '../support/services.js';
import { resetScenarios } from '../support/wiremock.js';
import { prepareFlood } from '../support/long-poll-flood.js';
import { metricValue } from '../support/metrics.js';
import { percentile } from '../../bench/stats.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import {
  ChaosStack,
  FAST_ORDER,
  freezeStore,
  merge,
  postP99,
  rabbitmqctl,
  report,
  sendMix,
  sendOrders,
  sendOrdersUntil,
  settle,
  type Sent,
  type Tally,
} from './chaos-stack.js';

/** What every scenario must end with: each 202 became a final order, each CONFIRMED one an event. */
function expectNothingLost(tally: Tally): void {
  expect(tally.accepted, 'orders accepted').to.be.greaterThan(0);
  expect(tally.pending, 'accepted orders left PENDING').to.equal(0);
  expect(tally.failed, 'orders FAILED (the stubs confirm every one)').to.equal(0);
  expect(tally.confirmed, 'every stored order CONFIRMED').to.equal(tally.stored);
  expect(tally.missingEvents, 'CONFIRMED orders without an event').to.deep.equal([]);
  expect(tally.strayEvents, 'events of orders that are not CONFIRMED').to.deep.equal([]);
  expect(tally.unique, 'one message id per CONFIRMED order').to.equal(tally.confirmed);
}

/** Waits until `worker` has settled 30 orders: a burst is well under way. */
async function midBurst(worker: RunningProcess | undefined): Promise<void> {
  await eventually(
    () =>
      Promise.resolve(
        worker?.logs.filter((line) => line.msg === 'order state changed').length ?? 0,
      ),
    (settled) => settled >= 30,
    { timeoutMs: 30_000, what: 'the worker to be mid-burst' },
  );
}

function hostPort(url: string): { host: string; port: number } {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port) };
}

describe('fault injection (real services, API and worker as processes)', function () {
  this.timeout(240_000);
  let stack: ChaosStack | undefined;
  let proxy: TcpProxy | undefined;

  afterEach(async function () {
    // When a scenario fails, what the processes warned about is the first thing to read.
    if (this.currentTest?.state === 'failed' && stack !== undefined) {
      const apis = stack.moreApis.map((api) => api.process);
      for (const process of [stack.api, ...apis, ...stack.workers]) {
        const warnings = process.logs.filter((line) => Number(line.level) >= 40);
        for (const line of warnings.slice(-40))
          console.log(`      ${process.name}: ${JSON.stringify(line).slice(0, 400)}`);
        const stderr = process.stderr().trim();
        if (stderr !== '') console.log(`      ${process.name} stderr: ${stderr.slice(-2000)}`);
      }
      for (const waiting of await stack.unpublishedEvents())
        console.log(`      unpublished: ${JSON.stringify(waiting)}`);
    }
    await stack?.stop();
    await proxy?.close();
    stack = undefined;
    proxy = undefined;
  });

  it('when the broker is stopped for 10 s during a burst of 200 orders, then orders keep confirming and every event is published after it returns', async () => {
    stack = await new ChaosStack('broker').start();
    const before = await sendOrders(stack.apiUrl, 60);
    await rabbitmqctl('stop_app');
    const stoppedAt = Date.now();
    let during: Sent = { sent: 0, accepted: [], refused: {}, latenciesMs: [], unconfirmed: [] };
    try {
      during = await sendOrders(stack.apiUrl, 140);
      // The worker does not need the broker to confirm: orders settle while it is away.
      const running = stack;
      await eventually(
        async () => {
          const statuses = await running.statuses(during.accepted);
          return [...statuses.values()].filter((status) => status === 'CONFIRMED').length;
        },
        (confirmed) => confirmed > 0,
        { timeoutMs: 8000, what: 'orders to confirm while the broker is down' },
      );
      await sleep(Math.max(0, 10_000 - (Date.now() - stoppedAt)));
    } finally {
      await rabbitmqctl('start_app');
    }
    const sent = merge(before, during);
    const tally = await settle(stack, sent, 90_000);
    report('broker down 10 s', tally, sent.refused);
    expectNothingLost(tally);
    expect(tally.sent).to.equal(200);
  });

  it("when only created_order is bound and 1,000 orders FAIL, then their failed_order events are parked, a broker outage delays the confirmed orders' events no more than without them, and the outbox keeps no bookkeeping", async () => {
    stack = await new ChaosStack('failed_backlog').start();
    const running = stack;
    const unknownUser = JSON.stringify({ user_id: 'nobody-at-all', product_code: 'classic-box' });
    const failing = await sendOrders(stack.apiUrl, 1000, 32, unknownUser);
    await eventually(
      async () => [...(await running.statuses(failing.accepted)).values()],
      (statuses) => statuses.length === 1000 && statuses.every((status) => status === 'FAILED'),
      { timeoutMs: 90_000, intervalMs: 500, what: 'the 1,000 orders for an unknown user to FAIL' },
    );
    await eventually(
      () => running.parkedEvents(),
      (parked) => parked === 1000,
      { timeoutMs: 30_000, what: 'every failed_order to be parked' },
    );

    await rabbitmqctl('stop_app');
    let confirmed: Sent;
    try {
      confirmed = await sendOrders(stack.apiUrl, 50);
      await eventually(
        async () => [...(await running.statuses(confirmed.accepted)).values()],
        (statuses) => statuses.length === 50 && statuses.every((status) => status === 'CONFIRMED'),
        { timeoutMs: 30_000, what: 'the 50 orders to confirm while the broker is down' },
      );
      await sleep(6000);
    } finally {
      await rabbitmqctl('start_app');
    }
    const backAt = Date.now();
    const ids = new Set(confirmed.accepted);
    await eventually(
      () => Promise.resolve(running.deliveries().filter((delivery) => ids.has(delivery.orderId))),
      (delivered) => delivered.length >= 50,
      { timeoutMs: 60_000, intervalMs: 100, what: 'the 50 created_order events' },
    );
    const lastMs = Date.now() - backAt;
    const bookkeeping = await eventually(
      () => running.outboxBookkeeping(),
      ({ claims, waiting }) => claims === 0 && waiting === 0,
      // Claims of published events are kept two leases (10 s here), then swept.
      { timeoutMs: 30_000, what: 'the outbox to be empty and its claims swept' },
    ).catch(() => running.outboxBookkeeping());
    console.log(
      `      chaos FAILED backlog, created_order bound only: 1000 failed_order parked; broker down 6 s; ` +
        `50 created_order delivered ${lastMs} ms after it came back; outbox afterwards: ` +
        `${bookkeeping.claims} claims, ${bookkeeping.waiting} waiting`,
    );
    expect(lastMs, 'last created_order after the broker came back (ms)').to.be.below(10_000);
    expect(bookkeeping).to.deep.equal({ claims: 0, waiting: 0 });
    expect(await stack.parkedEvents(), 'failed_order events parked').to.equal(1000);
    const tally = await settle(stack, merge(failing, confirmed), 30_000);
    expect(tally.confirmed).to.equal(50);
    expect(tally.unique).to.equal(50);
    expect(tally.duplicates).to.equal(0);
  });

  it("when nothing is bound while 10,000 orders confirm, then their events are parked, and once a consumer binds, events:replay sends every one on at least 1,000 events/s while new orders' events arrive within 5 s", async function () {
    this.timeout(420_000);
    stack = await new ChaosStack('late_binding').start({ bound: false });
    const running = stack;
    const backlog = await sendOrders(stack.apiUrl, 10_000, 64);
    await eventually(
      async () => [...(await running.statuses(backlog.accepted)).values()],
      (statuses) =>
        statuses.length === backlog.accepted.length &&
        statuses.every((status) => status === 'CONFIRMED'),
      { timeoutMs: 240_000, intervalMs: 1000, what: 'the 10,000 orders to confirm' },
    );
    await eventually(
      () => running.parkedEvents(),
      (parked) => parked === backlog.accepted.length,
      { timeoutMs: 60_000, what: 'every created_order to be parked' },
    );

    await stack.bindConsumer();
    const [replayed, fresh] = await Promise.all([
      stack.replayParkedEvents(),
      sendOrders(stack.apiUrl, 200, 8),
    ]);
    const rate = Number(/\((\d+) events\/s\)/.exec(replayed)?.[1]);
    const tally = await settle(stack, merge(backlog, fresh), 120_000);
    const freshIds = new Set(fresh.accepted);
    const lags = stack
      .deliveries()
      .filter((delivery) => freshIds.has(delivery.orderId))
      .map((delivery) => delivery.receivedAt - delivery.confirmedAt);
    const p99 = percentile(lags, 99);
    console.log(
      `      chaos late-binding consumer: ${backlog.accepted.length} parked, replayed at ${rate} events/s; ` +
        `200 new orders' events confirm → consumer p99 ${p99} ms`,
    );
    report('late-binding consumer', tally, merge(backlog, fresh).refused);
    expectNothingLost(tally);
    expect(tally.duplicates).to.equal(0);
    expect(await stack.parkedEvents(), 'events still parked').to.equal(0);
    expect(p99, "new orders' events p99 behind the replay (ms)").to.be.at.most(5000);
    expect(rate, 'replay rate (events/s)').to.be.at.least(1000);
  });

  it('when accepted orders vanish from the store before the worker runs, then none of them is announced and the others confirm', async () => {
    stack = new ChaosStack('lost_orders');
    await stack.bindConsumer();
    await stack.startApi();
    const sent = await sendOrders(stack.apiUrl, 20, 4);
    expect(sent.accepted).to.have.length(20);
    const lost = sent.accepted.slice(0, 10);
    const kept = sent.accepted.slice(10);
    await stack.loseOrders(lost);
    const worker = await stack.startWorker();
    const running = stack;
    await eventually(
      async () => [...(await running.statuses(kept)).values()],
      (statuses) => statuses.length === 10 && statuses.every((status) => status === 'CONFIRMED'),
      { timeoutMs: 30_000, what: 'the kept orders to confirm' },
    );
    const lostSet = new Set(lost);
    const keptSet = new Set(kept);
    await eventually(
      () => Promise.resolve(running.deliveries().filter((d) => keptSet.has(d.orderId))),
      (delivered) => delivered.length === 10,
      { timeoutMs: 30_000, what: "the kept orders' events" },
    );
    const unmatched = await eventually(
      () =>
        Promise.resolve(
          worker.logs.filter(
            (line) => line.msg === 'order job failed' && lostSet.has(String(line.orderId)),
          ).length,
        ),
      (count) => count === 10,
      { timeoutMs: 30_000, what: 'a failed job for each lost order' },
    );
    const phantoms = running.deliveries().filter((delivery) => lostSet.has(delivery.orderId));
    console.log(
      `      chaos lost stored orders: 20 accepted, 10 lost before processing: ${phantoms.length} ` +
        `events for lost orders, ${unmatched} jobs left failed, 10 kept CONFIRMED with their events`,
    );
    expect(phantoms, 'events for orders the store does not hold').to.deep.equal([]);
  });

  it("when the store is frozen (SIGSTOP) for 12 s while orders are posted without keys, then every stored order's id was given to its client", async () => {
    stack = await new ChaosStack('store_frozen').start();
    const running = stack;
    const sent: Sent = { sent: 0, accepted: [], refused: {}, latenciesMs: [], unconfirmed: [] };
    const posting = (async () => {
      // 20 orders a second for 20 s, each on its own: a client that does not wait for the last.
      const posts: Promise<void>[] = [];
      for (let index = 0; index < 400; index++) {
        posts.push(
          sendOrders(running.apiUrl, 1, 1).then((one) => {
            const merged = merge(sent, one);
            Object.assign(sent, merged);
          }),
        );
        await sleep(50);
      }
      await Promise.all(posts);
    })();
    await sleep(4000);
    await freezeStore(12_000);
    await posting;
    const tally = await settle(stack, sent, 90_000);
    const stored = await stack.statuses();
    const told = new Set([...sent.accepted, ...sent.unconfirmed]);
    const untold = [...stored.keys()].filter((id) => !told.has(id));
    const storedAfter503 = sent.unconfirmed.filter((id) => stored.has(id)).length;
    console.log(
      `      chaos store frozen 12 s: ${sent.sent} posted, ${sent.accepted.length} answered 202, ` +
        `${sent.unconfirmed.length} answered 503 with the order id (${storedAfter503} of them stored ` +
        `and processed), ${untold.length} stored orders whose id the client was not given`,
    );
    report('store frozen 12 s', tally, sent.refused);
    expect(untold, 'stored orders whose client was not told their id').to.deep.equal([]);
    expect(tally.pending).to.equal(0);
    expect(tally.missingEvents).to.deep.equal([]);
  });

  it('when Redis is cut during accepts, then the API still answers 202 and the stranded orders are queued after it returns', async () => {
    proxy = await startTcpProxy(hostPort(services.redisUrl));
    stack = await new ChaosStack('redis', { REDIS_URL: proxy.url('redis') }).start();
    const before = await sendOrders(stack.apiUrl, 50);
    await proxy.cut();
    const during = await sendOrders(stack.apiUrl, 100);
    await sleep(3000);
    await proxy.restore();
    const after = await sendOrders(stack.apiUrl, 50);
    const sent = merge(before, during, after);
    const tally = await settle(stack, sent, 90_000);
    report('redis cut', tally, sent.refused);
    expect(during.accepted, 'accepted while Redis was away').to.have.length(100);
    expectNothingLost(tally);
  });

  it('when Redis loses its data mid-burst (FLUSHALL), then the sweep queues the PENDING orders again and every accepted order ends final with its event', async () => {
    // Few slots, so most of the burst is still waiting in Redis when it is flushed.
    stack = await new ChaosStack('flushall', { WORKER_CONCURRENCY: '8' }).start();
    const [worker] = stack.workers;
    const burst = sendOrders(stack.apiUrl, 200);
    await midBurst(worker);
    const redis = new Redis(services.redisUrl);
    try {
      await redis.flushall();
    } finally {
      redis.disconnect();
    }
    const after = await sendOrders(stack.apiUrl, 50);
    const sent = merge(await burst, after);
    const tally = await settle(stack, sent, 90_000);
    report('redis FLUSHALL', tally, sent.refused);
    expectNothingLost(tally);
    expect(tally.sent).to.equal(250);
    const requeued = stack.workers.flatMap((process) =>
      process.logs.filter((line) => line.msg === 'stranded PENDING orders recovered'),
    );
    const added = requeued.reduce((sum, line) => sum + Number(line.added ?? 0), 0);
    console.log(`      chaos redis FLUSHALL: ${added} lost jobs queued again by the sweep`);
    expect(added, 'lost jobs queued again by the sweep').to.be.at.least(1);
  });

  it('when the user service is away for everyone for 60 s during a burst of 500 orders, then the orders wait for it and all 500 confirm once it is back', async () => {
    proxy = await startTcpProxy(hostPort(services.userServiceUrl));
    stack = await new ChaosStack('user-outage', { USER_SERVICE_URL: proxy.url('http') }).start();
    const [worker] = stack.workers;
    await proxy.cut();
    const cutAt = Date.now();
    const sent = await sendOrders(stack.apiUrl, 500, 32);
    await sleep(Math.max(0, 60_000 - (Date.now() - cutAt)));
    const during = await stack.statuses(sent.accepted);
    await proxy.restore();
    const tally = await settle(stack, sent, 120_000);
    report('user service away 60 s', tally, sent.refused);
    const waited = worker?.logs.filter(
      (line) => line.msg === 'a service is down for everyone, waiting for it',
    ).length;
    const workerRssMb = worker === undefined ? NaN : await peakRssMb(worker.child);
    console.log(
      `      chaos user service away 60 s: ${waited} waits without an attempt; FAILED while away ${[...during.values()].filter((status) => status === 'FAILED').length}; worker peak RSS ${Math.round(workerRssMb)} MB`,
    );
    expectNothingLost(tally);
    expect(tally.sent).to.equal(500);
    expect(waited, 'runs that waited for the service').to.be.greaterThan(0);
    expect(workerRssMb, 'worker peak RSS (MB)').to.be.below(250);
  });

  it('when the user service hangs for everyone for 60 s during a burst of 500 orders, then its bulkhead holds at most LOOKUP_MAX_IN_FLIGHT calls, the worker keeps free slots, and all 500 confirm', async () => {
    proxy = await startTcpProxy(hostPort(services.userServiceUrl));
    const maxInFlight = 100;
    const concurrency = 200;
    stack = await new ChaosStack(
      'user-hang',
      {
        USER_SERVICE_URL: proxy.url('http'),
        LOOKUP_MAX_IN_FLIGHT: String(maxInFlight),
        WORKER_CONCURRENCY: String(concurrency),
      },
      { built: true },
    ).start();
    const [worker] = stack.workers;
    const started = worker?.logs.find((line) => line.msg === 'worker started');
    const workerOps = `http://127.0.0.1:${String(started?.port)}`;
    const userCallsInFlight = () =>
      metricValue(workerOps, 'dependency_calls_in_flight{service="user-service"}');
    const hung = proxy;
    await hung.hang();
    // The worker's own count of calls in flight decides; the connections the hung service
    // holds are shown beside it (they lag: a socket the worker just gave up on looks open
    // here until its close is read, so they can exceed the cap by a few while calls churn).
    const peaks = { inFlight: 0, held: 0 };
    // Busy slots are sampled, not only their peak: orders that bounce off the bulkhead pass
    // through a slot too (a few Redis round trips each, 100 or more a second here), so one
    // event-loop stall can catch every slot busy at once. Slots the hung service takes stay
    // taken, so without free slots most of the time the bulkhead is not doing its job.
    const busySlots: number[] = [];
    const sampling = new AbortController();
    const running = stack;
    const hangAt = Date.now();
    const sampler = (async () => {
      while (!sampling.signal.aborted) {
        peaks.held = Math.max(peaks.held, hung.held());
        peaks.inFlight = Math.max(peaks.inFlight, await userCallsInFlight());
        busySlots.push(await running.activeJobs());
        await sleep(250);
      }
    })();
    const sent = await sendOrders(stack.apiUrl, 500, 32);
    await sleep(Math.max(0, 60_000 - (Date.now() - hangAt)));
    sampling.abort();
    await sampler;
    await hung.restore();
    const tally = await settle(stack, sent, 120_000);
    report('user service hangs 60 s', tally, sent.refused);
    const workerRssMb = worker === undefined ? NaN : await peakRssMb(worker.child);
    const allBusy = busySlots.filter((busy) => busy >= concurrency).length;
    console.log(
      `      chaos user service hangs 60 s: at most ${peaks.inFlight} user calls in flight in the worker (cap ${maxInFlight}), ${peaks.held} connections held by the hung service at most (closing ones included); worker slots busy of ${concurrency}: p50 ${percentile(busySlots, 50)}, p90 ${percentile(busySlots, 90)}, peak ${Math.max(...busySlots)}, all busy in ${allBusy} of ${busySlots.length} samples; worker peak RSS ${Math.round(workerRssMb)} MB`,
    );
    expectNothingLost(tally);
    expect(tally.sent).to.equal(500);
    expect(peaks.inFlight, 'user calls in flight in the worker').to.equal(maxInFlight);
    expect(peaks.held, 'connections the hung service saw').to.be.at.least(maxInFlight);
    expect(percentile(busySlots, 90), 'worker slots busy, p90 of the samples').to.be.below(
      concurrency,
    );
    expect(workerRssMb, 'worker peak RSS (MB)').to.be.below(250);
  });

  it('when the MongoDB-protocol server is cut, then POST answers 503 with Retry-After, readiness names it, and all accepted orders finish after it returns', async () => {
    proxy = await startTcpProxy(hostPort(services.mongoUrl));
    stack = await new ChaosStack('mongo', { MONGO_URL: proxy.url('mongodb') }).start();
    const before = await sendOrders(stack.apiUrl, 60);
    await proxy.cut();
    const refused = await fetch(`${stack.apiUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: '7c11e1ce2741', product_code: 'classic-box' }),
    });
    expect(refused.status).to.equal(503);
    expect(refused.headers.get('retry-after')).to.equal('5');
    const ready = await fetch(`${stack.apiOpsUrl}/health/ready`);
    expect(ready.status).to.equal(503);
    const readiness = (await ready.json()) as { checks: Record<string, { status: string }> };
    expect(readiness.checks.mongodb?.status).to.equal('down');
    const during = await sendOrders(stack.apiUrl, 40);
    await sleep(3000);
    await proxy.restore();
    const running = stack;
    await eventually(
      async () => (await fetch(`${running.apiUrl}/health/ready`)).status,
      (status) => status === 200,
      { timeoutMs: 20_000, what: 'readiness to recover' },
    );
    const after = await sendOrders(stack.apiUrl, 100);
    const sent = merge(before, during, after);
    const tally = await settle(stack, sent, 90_000);
    report('mongodb cut', tally, { ...sent.refused, '503 (probe)': 1 });
    expect(during.accepted, 'accepted while the store was away').to.deep.equal([]);
    expect(during.refused).to.deep.equal({ 503: 40 });
    // Nothing refused was stored: the database holds exactly the accepted orders.
    expect(tally.stored).to.equal(tally.accepted);
    expectNothingLost(tally);
  });

  it('when the worker is killed (SIGKILL) mid-burst, then another worker picks its jobs up and every order finishes with its event', async () => {
    stack = await new ChaosStack('sigkill').start();
    const [first] = stack.workers;
    const burst = sendOrders(stack.apiUrl, 200);
    const running = stack;
    await midBurst(first);
    await first?.stop('SIGKILL');
    // What bounds the duplicates: events the broker had delivered whose publish the killed
    // worker had not recorded yet. The relay must send those again, with the same message id.
    await sleep(500); // what the broker had in transit to the consumer arrives; nothing new can
    const unrecorded = await stack.deliveredButUnrecorded();
    await running.startWorker();
    const sent = await burst;
    const tally = await settle(stack, sent, 150_000);
    report('worker SIGKILL', tally, sent.refused);
    console.log(
      `      chaos worker SIGKILL: ${unrecorded} events delivered but not recorded as published at the kill`,
    );
    expectNothingLost(tally);
    expect(tally.sent).to.equal(200);
    expect(tally.duplicates, 'duplicates beyond the unrecorded publishes').to.be.at.most(
      unrecorded,
    );
  });

  it('when the API gets SIGTERM under load, then it finishes what it accepted, refuses the rest, exits cleanly, and nothing accepted is lost', async () => {
    stack = await new ChaosStack('sigterm').start();
    const running = stack;
    const load = new AbortController();
    const loading = sendOrdersUntil(() => running.apiUrl, load.signal);
    await sleep(1500);
    const exitCode = await stack.api.stop('SIGTERM');
    await sleep(500);
    load.abort();
    const sent = await loading;
    const tally = await settle(stack, sent, 90_000);
    report('api SIGTERM', tally, sent.refused);
    expect(exitCode, 'exit code after SIGTERM').to.equal(0);
    const statuses = Object.keys(sent.refused).filter((why) => /^\d+$/.test(why));
    expect(
      statuses.filter((status) => status !== '503'),
      'HTTP refusals other than 503',
    ).to.deep.equal([]);
    // A request cut off after it was stored has no 202, but its order is processed all the
    // same (clients retry with an Idempotency-Key to learn its id).
    const cutOff = (sent.refused.UND_ERR_SOCKET ?? 0) + (sent.refused.ECONNRESET ?? 0);
    expect(tally.stored - tally.accepted, 'stored beyond the 202s').to.be.at.most(cutOff);
    expectNothingLost(tally);
  });

  it('when 10,000 clients long-poll one order while 1,000 orders are posted, then no POST is refused, POST p99 stays within 2× a warmed-up API without the flood (before and after it), every poll gets an HTTP answer, and the API stays within its heap cap', async () => {
    // The build under `npm start`'s heap cap (160 MB): the cap is part of what is proved.
    stack = await new ChaosStack('flood', {}, { built: true }).start();
    const running = stack;
    const maxWaiters = 2000;
    const polls = 10_000;
    // A p99 over 1,000 POSTs is their 10th slowest: one GC pause or scheduler hiccup on a
    // shared two-core box cannot decide it alone, as it can the 2nd slowest of 200.
    const posts = 1000;
    // family-box answers after 60 s, so its order stays PENDING through the flood.
    const family = await sendOrders(
      stack.apiUrl,
      1,
      1,
      JSON.stringify({ user_id: '7c11e1ce2741', product_code: 'family-box' }),
    );
    const flood = await prepareFlood(
      { url: stack.apiUrl, opsUrl: stack.apiOpsUrl },
      String(family.accepted[0]),
      { polls, waitSeconds: 20 },
    );
    const warmUp = await sendOrders(stack.apiUrl, 200, 4);
    const before = await sendOrders(stack.apiUrl, posts, 4);
    // The POSTs start as the polls go out, on the connections the unloaded ones used.
    const {
      answers,
      beside: [during, newcomers],
    } = await flood.run(() =>
      Promise.all([
        sendOrders(running.apiUrl, posts, 4),
        // Clients that connect in the flood: reads on such connections may be refused,
        // orders may not. They wait for the kernel to accept them behind the flood's
        // connections, which the API cannot hurry: their latency is reported, not bounded.
        sendOrders(running.apiUrl, 100, 2, FAST_ORDER, { freshConnections: true }),
      ]),
    );
    const alive = stack.api.child.exitCode === null && stack.api.child.signalCode === null;
    // The reference is taken on both sides of the flood: the box's speed drifts within a
    // minute, and the slow POSTs come in fours (a store stall holds all four connections at
    // once), so one phase's p99 is its third stall, and a phase on one side only could be a
    // lucky one without stalls (CI saw 137 ms in the flood against 65 ms before it).
    const after = await sendOrders(stack.apiUrl, posts, 4);
    const unloaded = merge(before, after);
    const sent = merge(warmUp, before, family, during, newcomers, after);
    const tally = await settle(stack, sent, 120_000);
    report('long-poll flood', tally, sent.refused);
    console.log(
      `      chaos long-poll flood: ${polls} polls beside ${posts} POSTs: ${answers.ok} answered 200 (${answers.waited} of them waited), ${answers.overloaded} answered 503, ${JSON.stringify(answers.errors)} without an answer, at most ${answers.peakWaiting} held at once; POSTs refused ${JSON.stringify(during.refused)}, on new connections ${JSON.stringify(newcomers.refused)} (p99 ${postP99(newcomers)} ms); API peak heap ${answers.peakHeapMb} MB (cap 160); POST p99 ${postP99(during)} ms in the flood, ${postP99(unloaded)} ms warmed up without it (${postP99(before)} before, ${postP99(after)} after)`,
    );
    expect(alive, 'API still running').to.equal(true);
    expect(during.refused, 'POSTs refused in the flood').to.deep.equal({});
    expect(during.accepted, 'POSTs accepted in the flood').to.have.length(posts);
    expect(newcomers.refused, 'POSTs on new connections refused').to.deep.equal({});
    expect(answers.errors, 'polls without an HTTP answer').to.deep.equal({});
    expect(answers.ok + answers.overloaded, 'polls answered').to.equal(polls);
    // A flood that outlasts the wait sees more polls held in all than the cap, never at once.
    expect(answers.waited, 'polls that waited').to.be.at.least(1);
    expect(answers.peakWaiting, 'polls held at once').to.be.within(1, maxWaiters);
    expect(answers.peakHeapMb, 'API peak heap (MB)').to.be.below(160);
    expect(postP99(during), 'POST p99 in the flood (ms)').to.be.at.most(2 * postP99(unloaded));
    expectNothingLost(tally);
  });

  it('when 300 orders of the user who answers every other call with 500 and 50 veggie-box orders are mixed into 3,000 others on two APIs and three workers, then all 300 CONFIRM with their real calls in their histories, and the veggie-box ones FAIL within 30 s of acceptance', async function () {
    this.timeout(420_000);
    stack = await new ChaosStack('intermittent', {}, { built: true }).start();
    const running = stack;
    const secondApi = await stack.startAnotherApi();
    await Promise.all([stack.startWorker(), stack.startWorker()]);
    await resetScenarios(services.userServiceUrl);

    const order = (user_id: string, product_code: string) =>
      JSON.stringify({ user_id, product_code });
    const flaky = order('e6f24d7d1c7e', 'classic-box');
    const veggie = order('7c11e1ce2741', 'veggie-box');
    // Each kind spread evenly through the stream: its i-th of n orders at (i + ½) / n of it.
    const kinds: [string, number][] = [
      [flaky, 300],
      [veggie, 50],
      [FAST_ORDER, 3000],
    ];
    const bodies = kinds
      .flatMap(([body, n]) => Array.from({ length: n }, (_, i) => ({ body, at: (i + 0.5) / n })))
      .sort((a, b) => a.at - b.at)
      .map(({ body }) => body);

    const started = Date.now();
    const sentOf = await sendMix([stack.apiUrl, secondApi], bodies, 64);
    const sendSeconds = (Date.now() - started) / 1000;
    const sentFlaky = sentOf.get(flaky);
    const sentVeggie = sentOf.get(veggie);
    if (sentFlaky === undefined || sentVeggie === undefined) throw new Error('nothing sent');
    const sent = merge(...sentOf.values());
    const tally = await settle(stack, sent, 300_000);
    const settleSeconds = (Date.now() - started) / 1000;
    report('intermittent user, 2 APIs × 3 workers', tally, sent.refused);

    const flakyStatuses = [...(await running.statuses(sentFlaky.accepted)).values()];
    const veggieStatuses = [...(await running.statuses(sentVeggie.accepted)).values()];
    const veggieTimes = await running.settleTimes(sentVeggie.accepted);
    // Printed beside acceptance → FAILED: the rule's own cost is from the first call, the rest
    // is the queue's, as the other orders show.
    const veggieRuns = [...(await running.histories(sentVeggie.accepted)).values()].map(
      (history) => {
        const first = history.find((entry) => entry.type === 'lookup')?.at;
        const last = history.at(-1)?.at;
        return first instanceof Date && last instanceof Date
          ? last.getTime() - first.getTime()
          : Number.NaN;
      },
    );
    const others = (sentOf.get(FAST_ORDER)?.accepted ?? []).filter((_, index) => index % 10 === 0);
    const otherTimes = (await running.settleTimes(others)).sort((a, b) => a - b);
    const histories = [...(await running.histories(sentFlaky.accepted)).values()];
    const userCalls = histories.map((history) =>
      history.filter((entry) => entry.type === 'lookup' && entry.dependency === 'user'),
    );
    const real = (entry: Record<string, unknown>) =>
      entry.outcome === 'found' || entry.http_status === 500;
    const calls = userCalls.flat();
    const met500 = userCalls.filter((each) => each.some((entry) => entry.http_status === 500));
    const refusedKept = calls.filter((entry) => !real(entry)).length;
    const attemptsSpent = histories.map((history) => Number(history.at(-1)?.attempt ?? Number.NaN));
    const waitedAfter500 = userCalls.filter((each) =>
      each.some(
        (entry, index) => entry.http_status === 500 && each[index + 1]?.attempt === entry.attempt,
      ),
    ).length;
    const breakerOpened = running.workers
      .flatMap((worker) => worker.logs)
      .filter(
        (line) => line.msg === 'breaker opened' && line.breaker === 'user:e6f24d7d1c7e',
      ).length;
    console.log(
      `      chaos intermittent user: e6f24d7d1c7e ${flakyStatuses.filter((status) => status === 'CONFIRMED').length}/${sentFlaky.accepted.length} CONFIRMED (${met500.length} met a 500, ${waitedAfter500} asked again within the same attempt, ${calls.filter(real).length} real user calls and ${refusedKept} refusals in their histories, at most ${Math.max(...attemptsSpent)} attempts); its breaker opened ${breakerOpened} times; veggie-box ${veggieStatuses.filter((status) => status === 'FAILED').length}/${sentVeggie.accepted.length} FAILED, first call → FAILED at most ${Math.max(...veggieRuns)} ms, acceptance → FAILED at most ${Math.max(...veggieTimes)} ms; other orders acceptance → final p50 ${otherTimes[Math.floor(otherTimes.length / 2)] ?? NaN} ms, max ${otherTimes.at(-1) ?? NaN} ms; sent in ${sendSeconds.toFixed(0)} s, all final in ${settleSeconds.toFixed(0)} s`,
    );

    expect(tally.pending, 'orders left PENDING').to.equal(0);
    expect(tally.accepted, 'orders accepted').to.equal(3350);
    expect(flakyStatuses, 'e6f24d7d1c7e orders').to.have.length(300);
    expect(
      flakyStatuses.filter((status) => status !== 'CONFIRMED'),
      'e6f24d7d1c7e orders not CONFIRMED',
    ).to.deep.equal([]);
    for (const each of userCalls) {
      expect(each.filter(real), 'real user calls in a history').not.to.be.empty;
      expect(each.at(-1), 'the last user call found the user').to.include({ outcome: 'found' });
    }
    expect(veggieStatuses, 'veggie-box orders').to.deep.equal(
      sentVeggie.accepted.map(() => 'FAILED'),
    );
    expect(Math.max(...veggieTimes), 'acceptance → FAILED, slowest veggie-box (ms)').to.be.below(
      30_000,
    );
    expect(tally.failed, 'only the veggie-box orders FAILED').to.equal(50);
    expect(tally.confirmed, 'every other order CONFIRMED').to.equal(3300);
    expect(tally.missingEvents, 'CONFIRMED orders without an event').to.deep.equal([]);
    expect(tally.strayEvents, 'events of orders that are not CONFIRMED').to.deep.equal([]);
  });

  it('when 300 slow (family-box) and 300 failing (veggie-box) orders are in flight, then classic-box orders confirm about as fast as unloaded', async () => {
    stack = await new ChaosStack('isolation').start();
    const running = stack;
    const p99 = (values: number[]) => percentile(values, 99);
    const timesOf = async (sent: Sent) => {
      await eventually(
        () => running.settleTimes(sent.accepted),
        (times) => times.length === sent.accepted.length,
        { timeoutMs: 30_000, what: 'classic-box orders to settle' },
      );
      return running.settleTimes(sent.accepted);
    };

    const unloaded = await timesOf(await sendOrders(stack.apiUrl, 50, 4));
    const order = (product_code: string) =>
      JSON.stringify({ user_id: '7c11e1ce2741', product_code });
    const [family, veggie] = await Promise.all([
      sendOrders(stack.apiUrl, 300, 16, order('family-box')),
      sendOrders(stack.apiUrl, 300, 16, order('veggie-box')),
    ]);
    expect(family.accepted.length + veggie.accepted.length).to.equal(600);
    // "In flight": every burst order has been picked up and is waiting on its service.
    await eventually(
      () => running.waitingJobs(),
      (waiting) => waiting === 0,
      {
        timeoutMs: 30_000,
        what: 'the burst to be picked up',
      },
    );
    const loaded = await timesOf(await sendOrders(stack.apiUrl, 50, 4));
    const statuses = await stack.statuses(family.accepted);
    const familyStillPending = [...statuses.values()].filter(
      (status) => status === 'PENDING',
    ).length;

    console.log(
      `      chaos isolation: classic-box accept → final p99 ${p99(unloaded)} ms unloaded, ${p99(loaded)} ms beside ${familyStillPending} family-box still in flight and 300 veggie-box`,
    );
    expect(
      familyStillPending,
      'family-box orders still waiting for their 60 s answers',
    ).to.be.greaterThan(250);
    // Isolated means no classic-box order waits for a family-box answer (60 s), a first-attempt
    // timeout (2 s) or a veggie-box backoff: with too few worker slots the slow orders fill
    // them and this p99 climbs past 10 s. What is left is the shared CPU of a small machine.
    expect(p99(loaded), 'loaded classic-box p99 (ms)').to.be.below(5000);
    // The family-box orders are left to the stack's shutdown: their jobs are retried elsewhere.
  });
});
