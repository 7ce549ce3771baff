import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createSettlementAnnouncer } from '../../src/shared/long-poll/settlement-announcer.js';
import { settlementChannel } from '../../src/shared/long-poll/settlement-channel.js';
import { createMongoOrderRepository } from '../../src/shared/persistence/mongo-order-repository.js';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { useApi } from '../support/api-fixture.js';
import { postOrder } from '../support/api-server.js';
import { whenHeld } from '../support/long-polls.js';
import { services } from '../support/services.js';

interface OrderBody {
  id: string;
  status: string;
}

interface Page {
  items: OrderBody[];
  next_cursor: string | null;
}

describe('reading orders: listing, long-poll, request ids, metrics (real services)', () => {
  const fixture = useApi('test_reads');
  const publisherConnection = createRedisConnection(services.redisUrl, 'worker');
  after(() => {
    publisherConnection.disconnect();
  });

  async function accept(user_id: string, headers: Record<string, string> = {}): Promise<OrderBody> {
    const response = await postOrder(
      fixture.api.url,
      JSON.stringify({ user_id, product_code: 'classic-box' }),
      { 'content-type': 'application/json', ...headers },
    );
    expect(response.status).to.equal(202);
    return (await response.json()) as OrderBody;
  }

  /** What the worker does when it wins a settlement: store it, then announce it. */
  async function settleAndAnnounce(orderId: string): Promise<void> {
    const orders = createMongoOrderRepository(fixture.mongo.db);
    await orders.settle(
      orderId,
      { status: 'FAILED', failure: { code: 'TEST', message: 'settled by the test' } },
      { now: new Date() },
    );
    await createSettlementAnnouncer(
      publisherConnection,
      settlementChannel(fixture.queueName),
    ).announce(orderId);
  }

  describe('GET /orders', () => {
    it('when a user has more orders than a page, then pages come newest first, linked by cursor, each order once', async () => {
      const user = `lister-${randomUUID().slice(0, 8)}`;
      const accepted: string[] = [];
      for (let i = 0; i < 5; i++) accepted.push((await accept(user)).id);

      const seen: string[] = [];
      let next: string | null = `/orders?user_id=${user}&limit=2`;
      let pages = 0;
      while (next !== null && pages < 5) {
        const response: Response = await fetch(`${fixture.api.url}${next}`);
        expect(response.status).to.equal(200);
        const page = (await response.json()) as Page;
        seen.push(...page.items.map((order) => order.id));
        const link = response.headers.get('link');
        next =
          page.next_cursor === null
            ? null
            : (/<([^>]+)>; rel="next"/.exec(link ?? '')?.[1] ?? 'missing Link');
        pages++;
      }
      expect(pages).to.equal(3);
      // Newest first; two orders accepted in the same millisecond are ordered by id.
      const stored = await fixture.mongo.db
        .collection<{ _id: string; created_at: Date }>('orders')
        .find({ user_id: user })
        .toArray();
      const newestFirst = stored
        .sort((a, b) => b.created_at.getTime() - a.created_at.getTime() || (a._id < b._id ? 1 : -1))
        .map((order) => order._id);
      expect(newestFirst).to.have.members(accepted);
      expect(seen).to.deep.equal(newestFirst);
    });

    it('when filtered by status, then only orders in that status come back', async () => {
      const user = `status-${randomUUID().slice(0, 8)}`;
      const [first, second] = [await accept(user), await accept(user)];
      await settleAndAnnounce(first.id);
      const failed = (await (
        await fetch(`${fixture.api.url}/orders?user_id=${user}&status=FAILED`)
      ).json()) as Page;
      const pending = (await (
        await fetch(`${fixture.api.url}/orders?user_id=${user}&status=PENDING`)
      ).json()) as Page;
      expect(failed.items.map((order) => order.id)).to.deep.equal([first.id]);
      expect(pending.items.map((order) => order.id)).to.deep.equal([second.id]);
    });

    it('when the query is off (limit out of range, forged cursor, unknown or repeated parameter), then it answers 400 naming it', async () => {
      for (const [query, field] of [
        ['limit=0', 'limit'],
        ['limit=101', 'limit'],
        ['cursor=not-a-cursor', 'cursor'],
        ['status=SHIPPED', 'status'],
        ['sort=asc', 'sort'],
        ['user_id=a&user_id=b', 'user_id'],
        ['user_id[$ne]=x', 'user_id[$ne]'],
      ] as const) {
        const response = await fetch(`${fixture.api.url}/orders?${query}`);
        expect(response.status, query).to.equal(400);
        expect(response.headers.get('content-type')).to.equal('application/problem+json');
        const problem = (await response.json()) as { errors: { field: string }[] };
        expect(
          problem.errors.map((error) => error.field),
          query,
        ).to.include(field);
      }
    });
  });

  describe('GET /orders/{id} with Prefer: wait', () => {
    it('when the order settles during the wait, then the answer comes at once with its final state', async () => {
      const order = await accept('waiter');
      const started = Date.now();
      const { answer } = await whenHeld(fixture.api.opsUrl, () =>
        fetch(`${fixture.api.url}/orders/${order.id}`, { headers: { prefer: 'wait=10' } }),
      );
      await settleAndAnnounce(order.id);
      const response = await answer;
      const elapsed = Date.now() - started;
      expect(response.status).to.equal(200);
      expect(((await response.json()) as OrderBody).status).to.equal('FAILED');
      expect(response.headers.get('preference-applied')).to.equal('wait=10');
      expect(elapsed, 'answered long before the 10 s wait').to.be.below(3000);
    });

    it('when nothing happens, then it answers PENDING after the wait', async () => {
      const order = await accept('patient');
      const started = Date.now();
      const response = await fetch(`${fixture.api.url}/orders/${order.id}`, {
        headers: { prefer: 'respond-async, wait=1' },
      });
      const elapsed = Date.now() - started;
      expect(((await response.json()) as OrderBody).status).to.equal('PENDING');
      expect(response.headers.get('preference-applied')).to.equal('wait=1');
      expect(elapsed).to.be.within(900, 3000);
    });

    it('when the order is already final, then it answers without waiting', async () => {
      const order = await accept('settled');
      await settleAndAnnounce(order.id);
      const started = Date.now();
      const response = await fetch(`${fixture.api.url}/orders/${order.id}`, {
        headers: { prefer: 'wait=20' },
      });
      expect(((await response.json()) as OrderBody).status).to.equal('FAILED');
      expect(Date.now() - started).to.be.below(1000);
    });

    it('when more than 30 s is asked, then 30 s is what is applied', async () => {
      const order = await accept('greedy');
      const { answer } = await whenHeld(fixture.api.opsUrl, () =>
        fetch(`${fixture.api.url}/orders/${order.id}`, { headers: { prefer: 'wait=3600' } }),
      );
      await settleAndAnnounce(order.id);
      expect((await answer).headers.get('preference-applied')).to.equal('wait=30');
    });

    it('when no wait is asked, then it answers at once without Preference-Applied', async () => {
      const order = await accept('hasty');
      const response = await fetch(`${fixture.api.url}/orders/${order.id}`);
      expect(((await response.json()) as OrderBody).status).to.equal('PENDING');
      expect(response.headers.get('preference-applied')).to.equal(null);
    });
  });

  describe('request ids', () => {
    it('when the caller sends X-Request-Id, then it is returned and kept with the order and its job', async () => {
      const requestId = `gateway-${randomUUID()}`;
      const response = await postOrder(
        fixture.api.url,
        JSON.stringify({ user_id: 'traced', product_code: 'classic-box' }),
        { 'content-type': 'application/json', 'x-request-id': requestId },
      );
      expect(response.headers.get('x-request-id')).to.equal(requestId);
      const order = (await response.json()) as OrderBody;
      const stored = await fixture.mongo.db
        .collection<{ _id: string; request_id: string }>('orders')
        .findOne({ _id: order.id });
      expect(stored?.request_id).to.equal(requestId);
      expect((await fixture.inspector.getJob(order.id))?.data).to.deep.include({ requestId });
    });

    it('when the caller sends none or an unusable one, then a fresh id is made and returned', async () => {
      const none = await fetch(`${fixture.api.url}/health/live`);
      expect(none.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
      const odd = await fetch(`${fixture.api.url}/health/live`, {
        headers: { 'x-request-id': 'has spaces and <html>' },
      });
      expect(odd.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    });
  });

  describe('GET /metrics (operations port)', () => {
    it('when orders were accepted and read, then the Prometheus text counts them and times requests by route', async () => {
      const { id } = await accept('counted');
      expect((await fetch(`${fixture.api.url}/orders/${id}`)).status).to.equal(200);
      const response = await fetch(`${fixture.api.opsUrl}/metrics`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      const accepted = /^orders_accepted_total (\d+)$/m.exec(text)?.[1];
      expect(Number(accepted)).to.be.at.least(1);
      expect(text).to.match(
        /^http_request_duration_seconds_count\{route="\/orders",method="POST",status_code="202"\} \d+$/m,
      );
      expect(text).to.match(/^http_request_duration_seconds_count\{route="\/orders\/:id",/m);
      expect(text).to.match(/^process_resident_memory_bytes \d+/m);
    });
  });
});

describe('GET /orders/{id} past the cap on waiting requests (real services)', () => {
  const fixture = useApi('test_wait_cap', { env: () => ({ LONG_POLL_MAX_WAITERS: '1' }) });

  it('when the instance already holds its cap of waiting requests, then the next one is answered at once with the order as stored, without Preference-Applied', async () => {
    const { id } = (await (
      await postOrder(fixture.api.url, JSON.stringify({ user_id: 'u', product_code: 'p' }))
    ).json()) as {
      id: string;
    };
    const { answer: held } = await whenHeld(fixture.api.opsUrl, () =>
      fetch(`${fixture.api.url}/orders/${id}`, { headers: { prefer: 'wait=2' } }),
    );
    const started = Date.now();
    const past = await fetch(`${fixture.api.url}/orders/${id}`, { headers: { prefer: 'wait=2' } });
    expect(Date.now() - started, 'answered without waiting').to.be.below(1000);
    expect(past.status).to.equal(200);
    expect(((await past.json()) as { status: string }).status).to.equal('PENDING');
    expect(past.headers.get('preference-applied')).to.equal(null);
    expect((await held).headers.get('preference-applied')).to.equal('wait=2');
  });
});
