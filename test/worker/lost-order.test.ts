import { expect } from 'chai';
import { Queue } from 'bullmq';
import nock from 'nock';
import { loadWorkerConfig } from '../../src/shared/config/config.js';
import {
  createMongoConnection,
  type MongoConnection,
} from '../../src/shared/persistence/mongo-connection.js';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { buildWorker, type BuiltWorker } from '../../src/worker/build-worker.js';
import { eventually } from '../support/eventually.js';
import { eventsAbout, listenForEvents, type EventListener } from '../support/event-listener.js';
import { useFencedBreakers } from '../support/fenced-breakers.js';
import { ADA, CLASSIC, PRODUCTS, USERS, fencedReaders } from '../support/fenced-services.js';
import { metricValue } from '../support/metrics.js';
import { apiEnvironment, postOrder, startApi, type ApiUnderTest } from '../support/api-server.js';
import { dropRunData } from '../support/run-data.js';
import { services, uniqueName } from '../support/services.js';
import { testLogger } from '../support/test-logger.js';

/**
 * A store that lost orders it had acknowledged (an unjournaled write on a crashed server, a
 * restore from an older backup): the orders were accepted and queued, then vanished before the
 * worker took their jobs. Nobody can read them, so no event may announce them.
 */
describe('an order the store lost before the worker took it (API and worker built as their processes)', () => {
  const fenced = useFencedBreakers({
    errorThresholdPercentage: 50,
    volumeThreshold: 100,
    resetTimeoutMs: 1000,
  });
  const database = uniqueName('test_lost');
  const queueName = uniqueName('test_lost');
  const exchange = uniqueName('test_lost');
  let api: ApiUnderTest;
  let worker: BuiltWorker | undefined;
  let mongo: MongoConnection;
  let created: EventListener;
  let failed: EventListener;

  before(async () => {
    // The fence is for the user and product services; the API is called on this machine.
    nock.enableNetConnect('127.0.0.1');
    mongo = createMongoConnection({ url: services.mongoUrl, database, timeoutMs: 2000 });
    created = await listenForEvents({
      url: services.rabbitmqUrl,
      exchange,
      routingKey: 'created_order',
    });
    failed = await listenForEvents({
      url: services.rabbitmqUrl,
      exchange,
      routingKey: 'failed_order',
    });
    api = await startApi(apiEnvironment({ database, queueName }, { ORDERS_EXCHANGE: exchange }));
  });
  after(async () => {
    await worker?.stop('test over');
    await api.close();
    await created.close();
    await failed.close();
    await mongo.client.close();
    await dropRunData({ database, queueName });
    nock.cleanAll();
  });

  it('when accepted orders vanish from the store before processing, then none of them is announced, each job is left failed, and the kept ones confirm', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 6; index++) {
      const response = await postOrder(
        api.url,
        JSON.stringify({ user_id: 'ada', product_code: 'classic-box' }),
      );
      expect(response.status).to.equal(202);
      ids.push(((await response.json()) as { id: string }).id);
    }
    const lost = ids.slice(0, 3);
    const kept = ids.slice(3);
    await mongo.db.collection('orders').deleteMany({ _id: { $in: lost as never[] } });

    nock(USERS).persist().get('/users/ada').reply(200, ADA);
    nock(PRODUCTS).persist().get('/products/classic-box').reply(200, CLASSIC);
    const config = loadWorkerConfig({
      ...apiEnvironment({ database, queueName }),
      ORDERS_EXCHANGE: exchange,
      WORKER_PORT: '0',
      PRODUCT_CACHE_TTL: '0',
      OUTBOX_RELAY_INTERVAL_MS: '200',
      RECOVERY_SWEEP_INTERVAL_MS: '3600000',
      SHUTDOWN_GRACE_MS: '2000',
    });
    worker = await buildWorker(config, {
      logger: testLogger,
      host: '127.0.0.1',
      readers: fencedReaders(() => fenced.breakers),
    });
    const { port } = await worker.start();
    const opsUrl = `http://127.0.0.1:${String(port)}`;

    const inspector = new Queue<{ orderId: string }>(queueName, {
      connection: createRedisConnection(services.redisUrl, 'worker'),
    });
    try {
      await eventually(
        async () => (await inspector.getFailed()).map((job) => job.data.orderId),
        (failedJobs) => lost.every((id) => failedJobs.includes(id)),
        { timeoutMs: 15_000, what: 'the jobs of the lost orders to be left failed' },
      );
      const failedJobs = await inspector.getFailed();
      for (const job of failedJobs) {
        expect(job.attemptsMade, 'a lost order is not retried').to.equal(1);
        expect(job.failedReason).to.include('not in the store');
      }
    } finally {
      await inspector.close();
    }
    await eventually(
      () => Promise.resolve(kept.filter((id) => eventsAbout(created, id).length === 1)),
      (announced) => announced.length === kept.length,
      { timeoutMs: 15_000, what: 'the kept orders to be confirmed and announced' },
    );
    expect(await metricValue(opsUrl, 'order_settlements_unmatched_total')).to.equal(lost.length);
    for (const id of lost) {
      expect(eventsAbout(created, id), `created_order for the lost order ${id}`).to.deep.equal([]);
      expect(eventsAbout(failed, id), `failed_order for the lost order ${id}`).to.deep.equal([]);
      expect((await fetch(`${api.url}/orders/${id}`)).status).to.equal(404);
    }
  });
});
