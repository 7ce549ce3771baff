import { expect } from 'chai';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../src/api/app.js';
import { createCreateOrderUseCase } from '../../src/api/orders/create-order-use-case.js';
import {
  createMongoConnection,
  type MongoConnection,
} from '../../src/shared/persistence/mongo-connection.js';
import { createMongoOrderRepository } from '../../src/shared/persistence/mongo-order-repository.js';
import { createOrderQueue, type OrderQueue } from '../../src/shared/queue/order-queue.js';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { services, uniqueName } from '../support/services.js';
import { testLogger } from '../support/test-logger.js';

const retry = { attempts: 3, retryBaseDelayMs: 100 };

/** Starts the real app on a free port with the given store and queue. */
async function startApi(mongo: MongoConnection, queue: OrderQueue) {
  const orders = createMongoOrderRepository(mongo.db);
  const createOrder = createCreateOrderUseCase({
    orders,
    queue,
    newId: randomUUID,
    clock: () => new Date(),
    logger: testLogger,
  });
  const app = createApp({ createOrder, orders, bodyLimitBytes: 1024, logger: testLogger });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => {
      resolve(listening);
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

function postOrder(url: string, body: string, contentType = 'application/json') {
  return fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

async function problemOf(response: Response) {
  expect(response.headers.get('content-type')).to.equal('application/problem+json');
  const body = (await response.json()) as Record<string, unknown>;
  expect(body.status).to.equal(response.status);
  expect(JSON.stringify(body)).not.to.match(/\bat .*\.(ts|js):\d+/); // never a stack trace
  return body;
}

describe('orders API (real MongoDB-protocol server and Redis)', () => {
  const queueName = uniqueName('test_api');
  let mongo: MongoConnection;
  let redis: Redis;
  let queue: OrderQueue;
  let inspector: Queue;
  let api: Awaited<ReturnType<typeof startApi>>;

  before(async () => {
    mongo = createMongoConnection({
      url: services.mongoUrl,
      database: uniqueName('test_api'),
      timeoutMs: 2000,
    });
    redis = createRedisConnection(services.redisUrl, 'producer');
    queue = createOrderQueue({ name: queueName, connection: redis, retry });
    inspector = new Queue(queueName, {
      connection: createRedisConnection(services.redisUrl, 'worker'),
    });
    api = await startApi(mongo, queue);
  });
  after(async () => {
    await api.close();
    await inspector.obliterate({ force: true });
    await inspector.close();
    await queue.close();
    redis.disconnect();
    await mongo.db.dropDatabase();
    await mongo.client.close();
  });

  it('when a valid order is posted, then it answers 202 with the PENDING order, its Location and a queued job', async () => {
    const response = await postOrder(
      api.url,
      JSON.stringify({ user_id: '7c11e1ce2741', product_code: 'classic-box' }),
    );
    expect(response.status).to.equal(202);
    const order = (await response.json()) as Record<string, unknown>;
    expect(order).to.include({
      user_id: '7c11e1ce2741',
      product_code: 'classic-box',
      status: 'PENDING',
      customer_fullname: null,
      product_name: null,
      total_amount: null,
    });
    expect(order.id).to.match(/^[0-9a-f-]{36}$/);
    expect(order.created_at).to.equal(order.updated_at);
    expect(new Date(order.created_at as string).toISOString()).to.equal(order.created_at);
    expect(response.headers.get('location')).to.equal(`/orders/${order.id as string}`);

    const job = await inspector.getJob(order.id as string);
    expect(job?.data).to.deep.equal({ orderId: order.id });
  });

  it('when an accepted order is fetched, then it reads back the same', async () => {
    const created = (await (
      await postOrder(api.url, JSON.stringify({ user_id: 'u1', product_code: 'p1' }))
    ).json()) as {
      id: string;
    };
    const response = await fetch(`${api.url}/orders/${created.id}`);
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.equal(created);
  });

  it('when an unknown or impossible id is fetched, then it answers 404 problem+json', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', '%7B%22%24gt%22%3A%22%22%7D']) {
      const response = await fetch(`${api.url}/orders/${id}`);
      expect(response.status, id).to.equal(404);
      expect(await problemOf(response)).to.include({
        type: '/problems/order-not-found',
        title: 'Order not found',
      });
    }
  });

  it('when a field breaks a rule, then it answers 400 naming the field and the rule, and stores nothing', async () => {
    const before = await mongo.db.collection('orders').countDocuments();
    const response = await postOrder(
      api.url,
      JSON.stringify({ user_id: { $gt: '' }, product_code: 'x'.repeat(65) }),
    );
    expect(response.status).to.equal(400);
    const problem = await problemOf(response);
    expect(problem.type).to.equal('/problems/invalid-order');
    expect(problem.errors).to.deep.equal([
      {
        field: 'user_id',
        rule: 'invalid_type',
        message: 'Invalid input: expected string, received object',
      },
      {
        field: 'product_code',
        rule: 'too_big',
        message: 'Too big: expected string to have <=64 characters',
      },
    ]);
    expect(await mongo.db.collection('orders').countDocuments()).to.equal(before);
  });

  it('when the body is not valid JSON, then it answers 400 problem+json', async () => {
    const response = await postOrder(api.url, '{"user_id": ');
    expect(response.status).to.equal(400);
    expect(await problemOf(response)).to.include({ type: '/problems/malformed-request' });
  });

  it('when the body is not JSON at all, then it answers 415', async () => {
    const response = await postOrder(
      api.url,
      'user_id=u1&product_code=p1',
      'application/x-www-form-urlencoded',
    );
    expect(response.status).to.equal(415);
    expect(response.headers.get('accept-post')).to.equal('application/json');
    expect(await problemOf(response)).to.include({ type: '/problems/unsupported-media-type' });
  });

  it('when the body is over the limit, then it answers 413', async () => {
    const response = await postOrder(
      api.url,
      JSON.stringify({ user_id: 'u1', product_code: 'p1', pad: 'x'.repeat(2000) }),
    );
    expect(response.status).to.equal(413);
    expect(await problemOf(response)).to.include({ type: '/problems/payload-too-large' });
  });

  it('when a route or method does not exist, then it answers 404, 405 with Allow, or 501, as problem+json', async () => {
    const missing = await fetch(`${api.url}/nothing-here`);
    expect(missing.status).to.equal(404);
    expect(await problemOf(missing)).to.include({ type: '/problems/not-found' });

    const wrongMethod = await fetch(`${api.url}/orders`, { method: 'DELETE' });
    expect(wrongMethod.status).to.equal(405);
    expect(wrongMethod.headers.get('allow')).to.equal('POST');
    expect(await problemOf(wrongMethod)).to.include({ type: '/problems/method-not-allowed' });

    const unknownMethod = await fetch(`${api.url}/orders`, { method: 'PROPFIND' });
    expect(unknownMethod.status).to.equal(501);
    expect(await problemOf(unknownMethod)).to.include({ type: '/problems/not-implemented' });
  });

  it('when the body is JSON but not an object, then it answers 400 problem+json', async () => {
    for (const body of ['null', '123', '"text"']) {
      const response = await postOrder(api.url, body);
      expect(response.status, body).to.equal(400);
      await problemOf(response);
    }
  });

  it('when the database is unreachable, then it answers 503 with Retry-After and enqueues nothing', async () => {
    const unreachable = createMongoConnection({
      url: 'mongodb://127.0.0.1:1',
      database: 'x',
      timeoutMs: 300,
    });
    const offlineApi = await startApi(unreachable, queue);
    try {
      const waitingBefore = await inspector.getWaitingCount();
      const response = await postOrder(
        offlineApi.url,
        JSON.stringify({ user_id: 'u1', product_code: 'p1' }),
      );
      expect(response.status).to.equal(503);
      expect(response.headers.get('retry-after')).to.equal('5');
      expect(await problemOf(response)).to.include({ type: '/problems/store-unavailable' });
      expect(await inspector.getWaitingCount()).to.equal(waitingBefore);

      const read = await fetch(`${offlineApi.url}/orders/${randomUUID()}`);
      expect(read.status).to.equal(503);
    } finally {
      await offlineApi.close();
      await unreachable.client.close();
    }
  });

  it('when Redis is unreachable, then the stored order is still accepted with 202', async () => {
    const offline = createRedisConnection('redis://127.0.0.1:1', 'producer');
    offline.on('error', () => undefined);
    const offlineQueue = createOrderQueue({
      name: queueName,
      connection: offline,
      retry,
      timeoutMs: 300,
    });
    const offlineApi = await startApi(mongo, offlineQueue);
    try {
      const response = await postOrder(
        offlineApi.url,
        JSON.stringify({ user_id: 'u1', product_code: 'p1' }),
      );
      expect(response.status).to.equal(202);
      const order = (await response.json()) as { id: string };
      const stored = await mongo.db.collection('orders').findOne({ _id: order.id as never });
      expect(stored?.status).to.equal('PENDING');
      expect(await inspector.getJob(order.id)).to.equal(undefined);
    } finally {
      await offlineApi.close();
      offline.disconnect();
    }
  });
});
