import { expect } from 'chai';
import { Queue } from 'bullmq';
import type { Cluster } from 'ioredis';
import { loadCommonConfig } from '../../src/shared/config/config.js';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { printWarnings, startApiAndWorker, type ApiAndWorker } from '../support/api-and-worker.js';
import { eventsAbout } from '../support/event-listener.js';
import { eventually } from '../support/eventually.js';
import { metricValue } from '../support/metrics.js';
import { startProcess } from '../support/processes.js';
import { ownerOfSlot, requireClusterOk } from '../support/redis-cluster.js';
import { dropDatabase } from '../support/run-data.js';
import { redisClusterNodes, services, uniqueName } from '../support/services.js';
import {
  expectAssignedOutcomes,
  expectOneEventPerOrder,
  listenForOrderEvents,
  type OrderEventListeners,
  runUseCases,
  type UseCaseOutcome,
} from '../support/use-cases.js';
import { resetScenarios } from '../support/wiremock.js';

const ADMIN = { user: 'admin', password: 'cluster-board-secret' };

describe('BullMQ on a Redis Cluster: the six use cases with REDIS_CLUSTER_NODES and a hash-tagged QUEUE_PREFIX (API and worker processes)', function () {
  // family-box answers after 60 s: the slowest case decides the length of this suite.
  this.timeout(150_000);

  const queueName = uniqueName('cluster_orders');
  const prefix = `{${uniqueName('orders')}}`;
  const env = {
    MONGO_DB: uniqueName('e2e_cluster'),
    QUEUE_NAME: queueName,
    QUEUE_PREFIX: prefix,
    REDIS_CLUSTER_NODES: redisClusterNodes,
    // Nothing listens here: whatever still used REDIS_URL instead of the cluster would fail.
    REDIS_URL: 'redis://127.0.0.1:1',
    MONGO_URL: services.mongoUrl,
    RABBITMQ_URL: services.rabbitmqUrl,
    USER_SERVICE_URL: services.userServiceUrl,
    PRODUCT_SERVICE_URL: services.productServiceUrl,
    // Bull Board is on, so its view of the queue can be checked too.
    ADMIN_USER: ADMIN.user,
    ADMIN_PASSWORD: ADMIN.password,
  };
  // The cluster as the service reads its settings.
  const { redis: clusterSettings } = loadCommonConfig(env);
  const cluster = createRedisConnection(clusterSettings, 'worker') as Cluster;
  let stack: ApiAndWorker;
  let listeners: OrderEventListeners;
  let started = false;
  /** The six use cases' run, once the first test that needs it has started it. */
  let sixRun: Promise<UseCaseOutcome[]> | undefined;

  before(async () => {
    await requireClusterOk(cluster);
    listeners = await listenForOrderEvents(services.rabbitmqUrl);
    stack = await startApiAndWorker(env);
    started = true;
  });

  /**
   * The six orders posted together to the suite's processes, once for the suite, by the first
   * test that needs them; resolves when each has settled, published its event and had its job
   * completed.
   */
  function sixUseCases(): Promise<UseCaseOutcome[]> {
    sixRun ??= (async () => {
      // Their outcomes rely on the user service's 500/200 alternation from its start.
      await resetScenarios(services.userServiceUrl);
      const outcomes = await runUseCases(stack.apiUrl);
      await eventually(
        async () => ({
          published: outcomes.every(
            ({ final }) =>
              eventsAbout(
                final.status === 'CONFIRMED' ? listeners.created : listeners.failed,
                final.id,
              ).length > 0,
          ),
          completed: await metricValue(stack.workerUrl, 'queue_jobs{state="completed"}'),
        }),
        ({ published, completed }) => published && completed === outcomes.length,
        { timeoutMs: 15_000, what: 'each order published and its job completed' },
      );
      return outcomes;
    })();
    return sixRun;
  }

  afterEach(function () {
    if (started && this.currentTest?.state === 'failed') printWarnings([stack.api, stack.worker]);
  });

  after(async () => {
    if (!started) {
      cluster.disconnect(); // the cluster was not there, or the processes did not start
      return;
    }
    await Promise.all([stack.api.stop(), stack.worker.stop()]);
    await listeners.close();
    await dropDatabase(env.MONGO_DB);
    // On the cluster, under the suite's prefix.
    const queue = new Queue(queueName, { connection: cluster, prefix });
    await queue.obliterate({ force: true });
    await queue.close();
    cluster.disconnect();
  });

  it('when the six orders are posted to an API and a worker on the cluster, then each ends as the assignment says, and each publishes one event: created_order or failed_order', async () => {
    const outcomes = await sixUseCases();
    expectAssignedOutcomes(outcomes);
    await expectOneEventPerOrder(outcomes, listeners);
  });

  it("when the orders have settled, then every key of the queue sits in the prefix's one slot on the master that owns it, and the worker's metrics, Bull Board and readiness read the cluster", async () => {
    const outcomes = await sixUseCases();
    expect(outcomes).to.have.length(6);
    const slot = await cluster.cluster('KEYSLOT', prefix);
    const owner = await ownerOfSlot(cluster, slot);
    const masters = cluster.nodes('master');
    expect(masters, 'a cluster of three masters').to.have.length(3);
    const pattern = `${prefix}:${queueName}:*`;
    const keysByPort = new Map(
      await Promise.all(
        masters.map(async (node) => [node.options.port, await node.keys(pattern)] as const),
      ),
    );

    const ownerKeys = keysByPort.get(owner) ?? [];
    const orderIds = outcomes.map(({ final }) => final.id);
    expect(ownerKeys).to.include.members([
      ...orderIds.map((id) => `${prefix}:${queueName}:${id}`),
      `${prefix}:${queueName}:completed`,
      `${prefix}:${queueName}:meta`,
    ]);
    for (const key of ownerKeys) {
      expect(await cluster.cluster('KEYSLOT', key), key).to.equal(slot);
    }
    for (const [port, keys] of keysByPort) {
      if (port !== owner) expect(keys, `keys on the master at port ${String(port)}`).to.be.empty;
    }
    const completed = await cluster.zrange(`${prefix}:${queueName}:completed`, '0', '-1');
    expect(completed).to.have.members(orderIds);

    // The worker counts its jobs, Bull Board shows them, and both processes check Redis, on
    // the cluster too.
    expect(await metricValue(stack.workerUrl, 'queue_jobs{state="completed"}')).to.equal(6);
    const board = await fetch(`${stack.apiUrl}/admin/queues/api/queues`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`,
      },
    });
    expect(board.status).to.equal(200);
    const { queues } = (await board.json()) as {
      queues: { name: string; counts: Record<string, number> }[];
    };
    expect(queues.map(({ name, counts }) => ({ name, completed: counts.completed }))).to.deep.equal(
      [{ name: queueName, completed: 6 }],
    );
    for (const url of [stack.apiOpsUrl, stack.workerUrl]) {
      const ready = await fetch(`${url}/health/ready`);
      const body = (await ready.json()) as { checks: Record<string, unknown> };
      expect(ready.status, url).to.equal(200);
      expect(body.checks.redis, url).to.deep.equal({
        status: 'up',
        required: url === stack.workerUrl,
      });
    }
  });

  it("when BullMQ's default prefix is used on the cluster, then its scripts fail with CROSSSLOT, and a worker configured so refuses to start", async () => {
    const untagged = new Queue(uniqueName('untagged'), { connection: cluster });
    try {
      let refusal: unknown;
      await untagged.add('process-order', {}).catch((error: unknown) => {
        refusal = error;
      });
      expect(String(refusal)).to.match(/CROSSSLOT/);
    } finally {
      await untagged.close();
    }

    const misconfigured = startProcess('worker', { ...env, QUEUE_PREFIX: '', WORKER_PORT: '0' });
    const exitCode = await new Promise<number | null>((resolve) => {
      misconfigured.child.once('exit', resolve);
    });
    expect(exitCode).to.equal(1);
    expect(misconfigured.stderr()).to.contain('QUEUE_PREFIX: must carry a hash tag');
  });

  it('when the API and the worker on the cluster get SIGTERM, then both stop cleanly', async () => {
    const [apiExit, workerExit] = await Promise.all([
      stack.api.stop('SIGTERM'),
      stack.worker.stop('SIGTERM'),
    ]);
    expect({ apiExit, workerExit }).to.deep.equal({ apiExit: 0, workerExit: 0 });
    expect(stack.api.logs.some((line) => line.msg === 'stopped')).to.be.true;
    expect(stack.worker.logs.some((line) => line.msg === 'stopped')).to.be.true;
  });
});
