import { expect } from 'chai';
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type { MongoConnection } from '../../src/shared/persistence/mongo-connection.js';
import { orderRequestFingerprint as requestFingerprint } from '../../src/api/idempotency/request-identity.js';
import { postOrder as postJson, startApi, type ApiUnderTest } from '../support/api-server.js';
import { useApi, withStoppingApi, withUnreachableStore } from '../support/api-fixture.js';
import { request, type Dispatcher } from 'undici';

function postOrder(url: string, body: string, contentType = 'application/json') {
  return postJson(url, body, { 'content-type': contentType });
}

async function problemOf(response: Response) {
  expect(response.headers.get('content-type')).to.equal('application/problem+json');
  const body = (await response.json()) as Record<string, unknown>;
  expect(body.status).to.equal(response.status);
  expect(JSON.stringify(body)).not.to.match(/\bat .*\.(ts|js):\d+/); // never a stack trace
  return body;
}

describe('orders API (real MongoDB-protocol server and Redis)', () => {
  const fixture = useApi('test_api');
  let mongo: MongoConnection;
  let inspector: Queue;
  let api: ApiUnderTest;
  before(() => {
    ({ mongo, inspector, api } = fixture);
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
    expect(job?.data).to.deep.equal({
      orderId: order.id,
      requestId: response.headers.get('x-request-id'),
      accepted: {
        user_id: '7c11e1ce2741',
        product_code: 'classic-box',
        created_at: order.created_at,
      },
    });
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

  it('when a route does not exist, then 404; when a path is served but not with that method (TRACE and PROPFIND included), then 405 with Allow; all as problem+json', async () => {
    const missing = await fetch(`${api.url}/nothing-here`);
    expect(missing.status).to.equal(404);
    expect(await problemOf(missing)).to.include({ type: '/problems/not-found' });

    const wrongMethod = await fetch(`${api.url}/orders`, { method: 'DELETE' });
    expect(wrongMethod.status).to.equal(405);
    expect(wrongMethod.headers.get('allow')?.split(', ')).to.have.members([
      'GET',
      'HEAD',
      'POST',
      'OPTIONS',
    ]);
    expect(await problemOf(wrongMethod)).to.include({ type: '/problems/method-not-allowed' });

    const cases: [string, string, string[]][] = [
      ['TRACE', '/orders', ['GET', 'HEAD', 'POST', 'OPTIONS']],
      ['PROPFIND', '/orders', ['GET', 'HEAD', 'POST', 'OPTIONS']],
      ['DELETE', `/orders/${randomUUID()}`, ['GET', 'HEAD', 'OPTIONS']],
      ['TRACE', '/health/live', ['GET', 'HEAD', 'OPTIONS']],
      ['PUT', '/openapi.json', ['GET', 'HEAD', 'OPTIONS']],
    ];
    // undici's request, not fetch: fetch refuses to send TRACE at all.
    for (const [method, path, allowed] of cases) {
      const response = await request(`${api.url}${path}`, {
        method: method as Dispatcher.HttpMethod,
      });
      expect(response.statusCode, `${method} ${path}`).to.equal(405);
      expect(String(response.headers.allow).split(', '), `${method} ${path}`).to.have.members(
        allowed,
      );
      expect(response.headers['content-type']).to.equal('application/problem+json');
      expect(await response.body.json()).to.include({ type: '/problems/method-not-allowed' });
    }
  });

  it('when the body is JSON but not an object, then it answers 400 problem+json', async () => {
    for (const body of ['null', '123', '"text"']) {
      const response = await postOrder(api.url, body);
      expect(response.status, body).to.equal(400);
      await problemOf(response);
    }
  });

  it('when the database is unreachable, then it answers 503 with Retry-After and enqueues nothing', async () => {
    await withUnreachableStore(fixture, async (offlineUrl) => {
      const waitingBefore = await inspector.getWaitingCount();
      const response = await postOrder(
        offlineUrl,
        JSON.stringify({ user_id: 'u1', product_code: 'p1' }),
      );
      expect(response.status).to.equal(503);
      expect(response.headers.get('retry-after')).to.equal('5');
      expect(await problemOf(response)).to.include({ type: '/problems/store-unavailable' });
      expect(await inspector.getWaitingCount()).to.equal(waitingBefore);

      const read = await fetch(`${offlineUrl}/orders/${randomUUID()}`);
      expect(read.status).to.equal(503);
    });
  });

  it('when Redis is unreachable, then the stored order is still accepted with 202', async () => {
    const offlineApi = await startApi({ ...fixture.env, REDIS_URL: 'redis://127.0.0.1:1' });
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
    }
  });

  describe('Idempotency-Key', () => {
    const withKey = (key: string) => ({
      'content-type': 'application/json',
      'idempotency-key': key,
    });

    it('when the same key comes with the same body, then the same order comes back and no second order or job is made', async () => {
      const key = randomUUID();
      const first = await postJson(api.url, body, withKey(key));
      expect(first.status).to.equal(202);
      expect(first.headers.get('idempotent-replayed')).to.equal(null);
      const created = (await first.json()) as { id: string };

      const again = await postJson(
        api.url,
        JSON.stringify({ product_code: 'classic-box', user_id: 'u1' }),
        withKey(key),
      );
      expect(again.status).to.equal(202);
      expect(again.headers.get('idempotent-replayed')).to.equal('true');
      expect(again.headers.get('location')).to.equal(`/orders/${created.id}`);
      expect(((await again.json()) as { id: string }).id).to.equal(created.id);
      expect(
        await mongo.db
          .collection('orders')
          .countDocuments({ user_id: 'u1', _id: created.id as never }),
      ).to.equal(1);
      const job = await inspector.getJob(created.id);
      expect(job?.id).to.equal(created.id);
    });

    it('when the same key comes with a different body, then it answers 422 problem+json and makes nothing', async () => {
      const key = randomUUID();
      expect((await postJson(api.url, body, withKey(key))).status).to.equal(202);
      const before = await mongo.db.collection('orders').countDocuments();
      const response = await postJson(
        api.url,
        JSON.stringify({ user_id: 'u2', product_code: 'classic-box' }),
        withKey(key),
      );
      expect(response.status).to.equal(422);
      expect(await problemOf(response)).to.include({ type: '/problems/idempotency-key-reused' });
      expect(await mongo.db.collection('orders').countDocuments()).to.equal(before);
    });

    it('when requests with one key arrive at once, then exactly one order is made and all answers name it', async () => {
      const key = randomUUID();
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => postJson(api.url, body, withKey(key))),
      );
      expect(responses.map((response) => response.status)).to.deep.equal(Array(10).fill(202));
      const ids = new Set(
        await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id)),
      );
      expect(ids.size).to.equal(1);
      const [id] = [...ids];
      expect(await mongo.db.collection('orders').countDocuments({ _id: id as never })).to.equal(1);
      expect(
        await mongo.db.collection('idempotency_keys').findOne({ _id: key as never }),
      ).to.include({
        order_id: id,
      });
    });

    it('when the first request stored its key but not its order, then the retry finishes it under the promised id', async () => {
      const key = randomUUID();
      const promised = randomUUID();
      const now = new Date();
      await mongo.db.collection('idempotency_keys').insertOne({
        _id: key as never,
        fingerprint: requestFingerprint({
          user_id: 'u1',
          product_code: 'classic-box',
        }),
        order_id: promised,
        created_at: now,
        expires_at: new Date(now.getTime() + 60_000),
      });
      const response = await postJson(api.url, body, withKey(key));
      expect(response.status).to.equal(202);
      expect(((await response.json()) as { id: string }).id).to.equal(promised);
      expect((await inspector.getJob(promised))?.id).to.equal(promised);
    });

    it('when the key is empty or has characters outside visible ASCII, then it answers 400', async () => {
      for (const key of ['', 'x'.repeat(256), 'with space']) {
        const response = await postJson(api.url, body, withKey(key));
        expect(response.status, JSON.stringify(key)).to.equal(400);
        expect(await problemOf(response)).to.include({ type: '/problems/invalid-idempotency-key' });
      }
    });
  });

  const body = JSON.stringify({ user_id: 'u1', product_code: 'classic-box' });

  describe('health', () => {
    it('when MongoDB, Redis and the broker answer, then the operations port says ready with each check up, and the public port the status alone', async () => {
      const response = await fetch(`${api.opsUrl}/health/ready`);
      expect(response.status).to.equal(200);
      expect(await response.json()).to.deep.equal({
        status: 'ready',
        checks: {
          mongodb: { status: 'up', required: true },
          redis: { status: 'up', required: false },
          rabbitmq: { status: 'up', required: false },
        },
      });
      const publicAnswer = await fetch(`${api.url}/health/ready`);
      expect(publicAnswer.status).to.equal(200);
      expect(await publicAnswer.json()).to.deep.equal({ status: 'ready' });
      expect((await fetch(`${api.url}/metrics`)).status, 'metrics on the public port').to.equal(
        404,
      );
    });

    it('when only Redis is down, then /health/ready answers 200 degraded naming it, since orders are still taken', async () => {
      const offlineApi = await startApi({ ...fixture.env, REDIS_URL: 'redis://127.0.0.1:1' });
      try {
        const ready = await fetch(`${offlineApi.opsUrl}/health/ready`);
        expect(ready.status).to.equal(200);
        const readiness = (await ready.json()) as {
          status: string;
          checks: Record<string, { status: string; required: boolean }>;
        };
        expect(readiness.status).to.equal('degraded');
        expect(readiness.checks.redis).to.include({ status: 'down', required: false });
        expect(readiness.checks.mongodb).to.include({ status: 'up', required: true });
      } finally {
        await offlineApi.close();
      }
    });

    it('when MongoDB is unreachable, then /health/ready answers 503 naming it, while /health/live stays 200', async () => {
      await withUnreachableStore(fixture, async (offlineUrl, opsUrl) => {
        const publicAnswer = await fetch(`${offlineUrl}/health/ready`);
        expect(publicAnswer.status).to.equal(503);
        expect(await publicAnswer.json(), 'no driver error on the public port').to.deep.equal({
          status: 'unavailable',
        });
        const ready = await fetch(`${opsUrl}/health/ready`);
        expect(ready.status).to.equal(503);
        const readiness = (await ready.json()) as {
          status: string;
          checks: Record<string, { status: string; error?: string }>;
        };
        expect(readiness.status).to.equal('unavailable');
        expect(readiness.checks.mongodb?.status).to.equal('down');
        expect(readiness.checks.mongodb?.error).to.be.a('string').and.not.empty;
        expect(readiness.checks.redis).to.deep.equal({ status: 'up', required: false });
        expect((await fetch(`${offlineUrl}/health/live`)).status).to.equal(200);
      });
    });

    it('when the instance is stopping, then new requests get 503 with Connection: close and readiness says stopping', async () => {
      await withStoppingApi(fixture, async (stoppingUrl) => {
        const before = await mongo.db.collection('orders').countDocuments();
        const response = await postOrder(stoppingUrl, body);
        expect(response.status).to.equal(503);
        expect(response.headers.get('connection')).to.equal('close');
        expect(await problemOf(response)).to.include({ type: '/problems/shutting-down' });
        expect(await mongo.db.collection('orders').countDocuments()).to.equal(before);
        const ready = await fetch(`${stoppingUrl}/health/ready`);
        expect(ready.status).to.equal(503);
        expect(((await ready.json()) as { status: string }).status).to.equal('stopping');
      });
    });
  });
});
