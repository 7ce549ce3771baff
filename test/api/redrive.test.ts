import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createdOrderEvent } from '../../src/shared/domain/created-order-message.js';
import { failedOrderEvent } from '../../src/shared/domain/failed-order-message.js';
import type { Order } from '../../src/shared/domain/order.js';
import { createMongoOrderRepository } from '../../src/shared/persistence/mongo-order-repository.js';
import type { OrderRepository } from '../../src/shared/persistence/order-repository.js';
import { useApi, type ApiFixture } from '../support/api-fixture.js';
import { metricValue } from '../support/metrics.js';
import { storePendingOrder } from '../support/pending-orders.js';

const ADMIN = { user: 'operator-ada', password: 'a long operator password' };
const basic = (user = ADMIN.user, password = ADMIN.password) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function problemOf(response: Response) {
  expect(response.headers.get('content-type')).to.equal('application/problem+json');
  const body = (await response.json()) as Record<string, unknown>;
  expect(JSON.stringify(body)).not.to.match(/\bat .*\.(ts|js):\d+/);
  return body;
}

describe('operator re-drive of FAILED orders (real API, MongoDB-protocol server and Redis)', () => {
  const fixture: ApiFixture = useApi('test_redrive', {
    env: () => ({ ADMIN_USER: ADMIN.user, ADMIN_PASSWORD: ADMIN.password }),
  });
  let orders: OrderRepository;
  before(() => {
    orders = createMongoOrderRepository(fixture.mongo.db);
  });

  /** A FAILED order, as the worker leaves one; its failed_order published unless `waiting`. */
  async function failedOrder(
    code = 'PRODUCT_SERVICE_ERROR',
    options: { waiting?: boolean; failedAt?: Date } = {},
  ): Promise<Order> {
    const order = await storePendingOrder(orders, 'u-redrive', 'veggie-box');
    const failure = { code, message: 'the product service answered HTTP 500 for veggie-box' };
    const now = options.failedAt ?? new Date();
    const event = options.waiting
      ? failedOrderEvent(order, failure, {
          messageId: randomUUID(),
          producer: 'order-service',
          now,
          leaseMs: 60_000,
        })
      : undefined;
    await orders.settle(
      order.id,
      { status: 'FAILED', failure, ...(event === undefined ? {} : { event }) },
      { now },
    );
    return order;
  }

  const redrive = (id: string, headers: Record<string, string> = {}) =>
    fetch(`${fixture.api.url}/admin/orders/${id}/retry`, {
      method: 'POST',
      headers: { authorization: basic(), ...headers },
    });

  const bulk = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${fixture.api.url}/admin/orders/retry`, {
      method: 'POST',
      headers: { authorization: basic(), 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  const jobOf = (orderId: string, generation: number) =>
    fixture.inspector.getJob(`${orderId}-redrive-${generation}`);

  it('when a FAILED order is re-driven, then it answers 202 with the order PENDING, its history names the operator, and a job of its own for generation 1 is queued', async () => {
    const order = await failedOrder();
    const response = await redrive(order.id);
    expect(response.status).to.equal(202);
    expect(response.headers.get('location')).to.equal(`/orders/${order.id}`);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).to.include({ id: order.id, status: 'PENDING' });
    expect(body).not.to.have.property('failure');

    const stored = await orders.findById(order.id);
    expect(stored).to.deep.include({
      status: 'PENDING',
      generation: 1,
      failure: null,
      event: null,
    });
    expect(stored?.redriven_at).to.be.instanceOf(Date);
    expect(stored?.history.at(-1)).to.deep.include({
      type: 'state',
      from: 'FAILED',
      to: 'PENDING',
      by: 'operator',
      operator: ADMIN.user,
      generation: 1,
    });
    // A job of its own: BullMQ would ignore a second add of the first one's id (the order id).
    const job = await jobOf(order.id, 1);
    expect(job?.data).to.deep.equal({
      orderId: order.id,
      requestId: order.request_id,
      generation: 1,
    });

    const read = (await (
      await fetch(`${fixture.api.url}/orders/${order.id}?include=history`)
    ).json()) as { history: { by?: string }[] };
    expect(read.history.map((entry) => entry.by)).to.deep.equal(['api', 'operator']);
  });

  it('when the same re-drive is sent twice with one Idempotency-Key, then it re-drives once and the second answer is a replay', async () => {
    const order = await failedOrder();
    const key = { 'idempotency-key': randomUUID() };
    const first = await redrive(order.id, key);
    const second = await redrive(order.id, key);
    expect([first.status, second.status]).to.deep.equal([202, 202]);
    expect(second.headers.get('idempotent-replayed')).to.equal('true');
    const stored = await orders.findById(order.id);
    expect(stored?.generation).to.equal(1);
    expect(
      stored?.history.filter((entry) => entry.type === 'state' && entry.by === 'operator'),
    ).to.have.length(1);
    expect(await jobOf(order.id, 2)).to.equal(undefined);
  });

  it('when the same re-drive is sent twice without a key, then the second finds it PENDING and gets 409', async () => {
    const order = await failedOrder();
    expect((await redrive(order.id)).status).to.equal(202);
    const again = await redrive(order.id);
    expect(again.status).to.equal(409);
    expect(await problemOf(again)).to.include({
      type: '/problems/order-not-failed',
      order_status: 'PENDING',
    });
  });

  it('when the order is PENDING or CONFIRMED, then it answers 409 and changes nothing', async () => {
    const pending = await storePendingOrder(orders, 'u-redrive', 'classic-box');
    const confirmed = await storePendingOrder(orders, 'u-redrive', 'classic-box');
    await orders.settle(
      confirmed.id,
      {
        status: 'CONFIRMED',
        details: { customer_fullname: 'A B', product_name: 'Classic Box', total_amount: 9.99 },
        event: createdOrderEvent(
          confirmed,
          { customer_fullname: 'A B', product_name: 'Classic Box', total_amount: 9.99 },
          {
            messageId: randomUUID(),
            producer: 'order-service',
            now: new Date(),
            leaseMs: 0,
          },
        ),
      },
      { now: new Date() },
    );
    for (const order of [pending, confirmed]) {
      const response = await redrive(order.id);
      expect(response.status, order.id).to.equal(409);
      expect((await problemOf(response)).type).to.equal('/problems/order-not-failed');
      expect((await orders.findById(order.id))?.generation).to.equal(0);
    }
  });

  it('when the failed_order event has not reached the broker yet, then it answers 409 and the order stays FAILED', async () => {
    const order = await failedOrder('PRODUCT_SERVICE_ERROR', { waiting: true });
    const response = await redrive(order.id);
    expect(response.status).to.equal(409);
    expect((await problemOf(response)).type).to.equal('/problems/failure-event-waiting');
    expect((await orders.findById(order.id))?.status).to.equal('FAILED');
  });

  it('when another site submits a form to the re-drive routes with the signed-in Basic credentials, then both answer 403 and the order stays FAILED', async () => {
    const order = await failedOrder();
    // What a browser sends for a page elsewhere that auto-submits a form.
    const crossSiteForm = {
      authorization: basic(),
      'content-type': 'text/plain',
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
    };
    const one = await fetch(`${fixture.api.url}/admin/orders/${order.id}/retry`, {
      method: 'POST',
      headers: crossSiteForm,
      body: 'x=1',
    });
    const many = await fetch(`${fixture.api.url}/admin/orders/retry`, {
      method: 'POST',
      headers: { ...crossSiteForm, 'content-type': 'application/json' },
      body: JSON.stringify({ failure_code: 'PRODUCT_SERVICE_ERROR' }),
    });
    // Browsers that send no Sec-Fetch-Site still send Origin on a cross-site POST.
    const olderBrowser = await redrive(order.id, { origin: 'https://evil.example' });
    expect([one.status, many.status, olderBrowser.status]).to.deep.equal([403, 403, 403]);
    expect(await problemOf(one)).to.include({ type: '/problems/cross-site-request' });
    expect((await orders.findById(order.id))?.status).to.equal('FAILED');

    // The board's own page (same origin) still may.
    const fromBoard = await redrive(order.id, { 'sec-fetch-site': 'same-origin' });
    expect(fromBoard.status).to.equal(202);
  });

  it('when the order is unknown, or the credentials are missing or wrong, then it answers 404 or 401', async () => {
    expect((await redrive(randomUUID())).status).to.equal(404);
    expect((await redrive('not-an-id')).status).to.equal(404);
    const order = await failedOrder();
    const none = await fetch(`${fixture.api.url}/admin/orders/${order.id}/retry`, {
      method: 'POST',
    });
    expect(none.status).to.equal(401);
    expect(none.headers.get('www-authenticate')).to.match(/^Basic realm=/);
    const wrong = await redrive(order.id, { authorization: basic(ADMIN.user, 'not the password') });
    expect(wrong.status).to.equal(401);
    expect((await orders.findById(order.id))?.status).to.equal('FAILED');
  });

  it('when FAILED orders are re-driven in bulk by failure code and time, then only the matching ones go back, a page at a time, and metrics count them by code', async () => {
    const code = `PRODUCT_SERVICE_TIMEOUT_${randomUUID().slice(0, 4).toUpperCase()}`.replace(
      /-/g,
      '',
    );
    const since = new Date(Date.now() - 60_000);
    const matching = [await failedOrder(code), await failedOrder(code), await failedOrder(code)];
    const tooOld = await failedOrder(code, { failedAt: new Date(since.getTime() - 60_000) });
    const otherCode = await failedOrder('USER_NOT_FOUND');
    const waiting = await failedOrder(code, { waiting: true });

    const first = await bulk({ failure_code: code, failed_after: since.toISOString(), limit: 2 });
    expect(first.status).to.equal(200);
    const page = (await first.json()) as { redriven: number; skipped: number; next_cursor: string };
    expect(page).to.include({ redriven: 2, skipped: 0 });
    expect(page.next_cursor).to.be.a('string');
    const nextPage = (body: Record<string, unknown>) =>
      bulk({ failure_code: code, failed_after: since.toISOString(), limit: 2, ...body }).then(
        (response) => response.json() as Promise<Record<string, unknown>>,
      );
    const rest = await nextPage({ cursor: page.next_cursor });
    // The last one matches, but its failed_order has not reached the broker: left FAILED.
    expect(rest).to.include({ redriven: 1, skipped: 1 });
    expect(await nextPage({ cursor: rest.next_cursor })).to.deep.equal({
      redriven: 0,
      skipped: 0,
      next_cursor: null,
    });

    for (const order of matching) {
      expect((await orders.findById(order.id))?.status, order.id).to.equal('PENDING');
      expect(await jobOf(order.id, 1), order.id).not.to.equal(undefined);
    }
    for (const order of [tooOld, otherCode, waiting])
      expect((await orders.findById(order.id))?.status, order.id).to.equal('FAILED');

    const metrics = await (await fetch(`${fixture.api.opsUrl}/metrics`)).text();
    expect(metrics).to.contain(`orders_redriven_total{failure_code="${code}"} 3`);
  });

  it('when a bulk re-drive is sent twice with one Idempotency-Key, then the second replays the first answer and re-drives nothing again', async () => {
    const code = `USER_SERVICE_ERROR_${randomUUID().slice(0, 4).toUpperCase()}`.replace(/-/g, '');
    const order = await failedOrder(code);
    const key = { 'idempotency-key': randomUUID() };
    const first = (await (await bulk({ failure_code: code }, key)).json()) as Record<
      string,
      unknown
    >;
    expect(first).to.deep.equal({ redriven: 1, skipped: 0, next_cursor: null });
    // The order fails again; the replay must not take it back a second time.
    const stored = await orders.findById(order.id);
    if (stored === null) throw new Error('the order vanished');
    await orders.settle(
      order.id,
      { status: 'FAILED', failure: { code, message: 'again' }, generation: 1 },
      { now: new Date() },
    );
    const second = await bulk({ failure_code: code }, key);
    expect(second.headers.get('idempotent-replayed')).to.equal('true');
    expect(await second.json()).to.deep.equal(first);
    expect((await orders.findById(order.id))?.status).to.equal('FAILED');
  });

  it('when the same keyed bulk re-drive arrives twice at once, then both answer the same counts and each order is re-driven once', async () => {
    const code = `PRODUCT_SERVICE_ERROR_${randomUUID().slice(0, 4).toUpperCase()}`.replace(
      /-/g,
      '',
    );
    const matching = await Promise.all([1, 2, 3, 4].map(() => failedOrder(code)));
    // Both answers and the history look the same whether one write or two won an order;
    // the counter, bumped once per winning write, does not.
    const redrivenTotal = async () => {
      const value = await metricValue(
        fixture.api.opsUrl,
        `orders_redriven_total{failure_code="${code}"}`,
      );
      return Number.isNaN(value) ? 0 : value;
    };
    const before = await redrivenTotal();
    const key = { 'idempotency-key': randomUUID() };
    const answers = await Promise.all(
      [1, 2].map(async () => (await bulk({ failure_code: code }, key)).json()),
    );
    expect(answers[0]).to.deep.equal({ redriven: 4, skipped: 0, next_cursor: null });
    expect(answers[1]).to.deep.equal(answers[0]);
    for (const order of matching) {
      const stored = await orders.findById(order.id);
      expect(stored?.generation, order.id).to.equal(1);
      const redrives = stored?.history.filter(
        (entry) => entry.type === 'state' && entry.by === 'operator',
      );
      expect(redrives, order.id).to.have.length(1);
    }
    expect((await redrivenTotal()) - before, 'writes that won a re-drive').to.equal(
      matching.length,
    );
  });

  it('when an Idempotency-Key is sent again for another order, then it answers 422 and re-drives nothing', async () => {
    const [first, second] = [await failedOrder(), await failedOrder()];
    const key = { 'idempotency-key': randomUUID() };
    expect((await redrive(first.id, key)).status).to.equal(202);
    const reused = await redrive(second.id, key);
    expect(reused.status).to.equal(422);
    expect((await problemOf(reused)).type).to.equal('/problems/idempotency-key-reused');
    expect((await orders.findById(second.id))?.status).to.equal('FAILED');
  });

  it('when a bulk re-drive names no failure code, an unknown field or a bad window, then it answers 400 naming each', async () => {
    for (const body of [
      {},
      { failure_code: 'PRODUCT_SERVICE_ERROR', colour: 'red' },
      { failure_code: 'lower-case' },
      { failure_code: 'X', limit: 501 },
      {
        failure_code: 'X',
        failed_after: '2026-01-02T00:00:00Z',
        failed_before: '2026-01-01T00:00:00Z',
      },
    ]) {
      const response = await bulk(body);
      expect(response.status, JSON.stringify(body)).to.equal(400);
      expect((await problemOf(response)).type).to.equal('/problems/invalid-redrive');
    }
  });
});
