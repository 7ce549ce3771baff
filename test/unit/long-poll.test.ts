import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGetOrderUseCase } from '../../src/api/orders/get-order-use-case.js';
import { LONG_POLL_READ_INTERVAL_MS } from '../../src/api/orders/long-poll-reads.js';
import { newPendingOrder } from '../../src/shared/domain/order-lifecycle.js';
import type { Order } from '../../src/shared/domain/order.js';
import { createSettlementAnnouncer } from '../../src/shared/long-poll/settlement-announcer.js';
import { createSettlementWaiter } from '../../src/shared/long-poll/settlement-waiter.js';
import type { OrderRepository } from '../../src/shared/persistence/order-repository.js';
import { eventually } from '../support/eventually.js';
import { testLogger } from '../support/test-logger.js';

const CHANNEL = 'orders:order-settled';

/** Stands in for a subscribed Redis connection: the test sends its messages. */
class FakeSubscriber extends EventEmitter {
  disconnected = false;
  subscribe(): Promise<void> {
    return Promise.resolve();
  }
  disconnect(): void {
    this.disconnected = true;
  }
  announce(orderId: string, channel = CHANNEL): void {
    this.emit('message', channel, orderId);
  }
}

function waiterWith(subscriber: FakeSubscriber) {
  return createSettlementWaiter(subscriber as unknown as Redis, CHANNEL, testLogger);
}

describe('long-poll', () => {
  describe('settlement waiter', () => {
    it('when the order is announced, then every waiter for it wakes, and only those', async () => {
      const subscriber = new FakeSubscriber();
      const waiter = waiterWith(subscriber);
      const first = waiter.waitFor('a', 5000);
      const second = waiter.waitFor('a', 5000);
      const other = waiter.waitFor('b', 50);
      subscriber.announce('a');
      subscriber.announce('a', 'another-channel:order-settled');
      expect(await Promise.all([first, second, other])).to.deep.equal([true, true, false]);
      expect(subscriber.listenerCount('message')).to.equal(1);
    });

    it('when one notice names several orders, then the waiters of each of them wake', async () => {
      const subscriber = new FakeSubscriber();
      const waiter = waiterWith(subscriber);
      const waits = [waiter.waitFor('a', 5000), waiter.waitFor('b', 5000), waiter.waitFor('c', 50)];
      subscriber.announce('a\nb');
      expect(await Promise.all(waits)).to.deep.equal([true, true, false]);
    });

    it('when nothing is announced, then the wait ends false after its time', async () => {
      const waiter = waiterWith(new FakeSubscriber());
      const started = Date.now();
      expect(await waiter.waitFor('a', 80)).to.equal(false);
      expect(Date.now() - started).to.be.at.least(70);
    });

    it('when the client goes away, then its wait ends at once, even if it was gone before', async () => {
      const waiter = waiterWith(new FakeSubscriber());
      const gone = new AbortController();
      const waiting = waiter.waitFor('a', 5000, gone.signal);
      gone.abort();
      expect(await waiting).to.equal(false);
      expect(await waiter.waitFor('a', 5000, gone.signal)).to.equal(false);
    });

    it('when the waiter closes, then every wait ends, later ones end at once, and Redis is dropped', async () => {
      const subscriber = new FakeSubscriber();
      const waiter = waiterWith(subscriber);
      const waiting = waiter.waitFor('a', 5000);
      await waiter.close();
      expect(await waiting).to.equal(false);
      expect(await waiter.waitFor('b', 5000)).to.equal(false);
      expect(subscriber.disconnected).to.equal(true);
    });
  });

  describe('get-order use case', () => {
    const pending = newPendingOrder(
      { id: 'o-1', user_id: 'u', product_code: 'p', request_id: null },
      new Date(),
    );
    const failed: Order = {
      ...pending,
      status: 'FAILED',
      failure: { code: 'X', message: 'x' },
    };

    /** A store whose order turns FAILED after `readsBeforeSettling` reads; counts its reads. */
    function storeSettlingAfter(readsBeforeSettling: number) {
      const store = { reads: 0 };
      const orders = {
        findById: () => {
          store.reads++;
          return Promise.resolve(store.reads > readsBeforeSettling ? failed : pending);
        },
      } as unknown as OrderRepository;
      return { store, orders };
    }

    it('when no wait is asked, then the order is read once and answered as it is', async () => {
      const { store, orders } = storeSettlingAfter(1);
      const getOrder = createGetOrderUseCase({
        orders,
        settlements: waiterWith(new FakeSubscriber()),
        maxWaiters: 10,
      });
      expect((await getOrder('o-1')).order?.status).to.equal('PENDING');
      expect(store.reads).to.equal(1);
    });

    it('when the order settles during the wait, then the answer is its final state, read twice in all', async () => {
      const subscriber = new FakeSubscriber();
      const { store, orders } = storeSettlingAfter(1);
      const getOrder = createGetOrderUseCase({
        orders,
        settlements: waiterWith(subscriber),
        maxWaiters: 10,
      });
      const answer = getOrder('o-1', { waitMs: 5000 });
      // The order settles once the request, listening since before it read, has read it PENDING.
      await eventually(
        () => Promise.resolve(store.reads),
        (reads) => reads === 1,
        { what: 'the first read', intervalMs: 5 },
      );
      subscriber.announce('o-1');
      expect((await answer).order?.status).to.equal('FAILED');
      expect(store.reads).to.equal(2);
    });

    it('when the order is already final, then it answers without waiting', async () => {
      const { orders } = storeSettlingAfter(0);
      const getOrder = createGetOrderUseCase({
        orders,
        settlements: waiterWith(new FakeSubscriber()),
        maxWaiters: 10,
      });
      const started = Date.now();
      expect((await getOrder('o-1', { waitMs: 5000 })).order?.status).to.equal('FAILED');
      expect(Date.now() - started).to.be.below(100);
    });

    it('when the notice is lost, then the order is read again when the wait runs out', async () => {
      const { store, orders } = storeSettlingAfter(1);
      const getOrder = createGetOrderUseCase({
        orders,
        settlements: waiterWith(new FakeSubscriber()),
        maxWaiters: 10,
      });
      expect((await getOrder('o-1', { waitMs: 50 })).order?.status).to.equal('FAILED');
      expect(store.reads).to.equal(2);
    });

    it('when many waiters of one order start and are woken together, then they share one first read and one read after the wake-up', async () => {
      const subscriber = new FakeSubscriber();
      const { store, orders } = storeSettlingAfter(1);
      let waiting = 0;
      const getOrder = createGetOrderUseCase({
        orders,
        settlements: waiterWith(subscriber),
        maxWaiters: 1000,
        onWaitersChanged: (count) => {
          waiting = count;
        },
      });
      const answers = Array.from({ length: 100 }, () => getOrder('o-1', { waitMs: 5000 }));
      await eventually(
        () => Promise.resolve({ waiting, reads: store.reads }),
        (now) => now.waiting === answers.length && now.reads > 0,
        { what: 'every request to wait, its first read made', intervalMs: 5 },
      );
      expect(store.reads, 'one first read for all').to.equal(1);
      subscriber.announce('o-1');
      const read = await Promise.all(answers);
      expect(read.map(({ order }) => order?.status)).to.deep.equal(answers.map(() => 'FAILED'));
      expect(store.reads, 'one read after the wake-up for all').to.equal(2);
    });

    it('when a waiter starts while an earlier first read is under way, then it does not join that read but makes its own', async () => {
      const subscriber = new FakeSubscriber();
      const started: (() => void)[] = [];
      const orders = {
        findById: () =>
          new Promise<Order>((resolve) => {
            started.push(() => {
              resolve(pending);
            });
          }),
      } as unknown as OrderRepository;
      const getOrder = createGetOrderUseCase({
        orders,
        settlements: waiterWith(subscriber),
        maxWaiters: 10,
      });
      const first = getOrder('o-1', { waitMs: 50 });
      while (started.length < 1) await new Promise((resolve) => setImmediate(resolve));
      // The first read is under way; a settlement now might not be in what it returns.
      const second = getOrder('o-1', { waitMs: 50 });
      while (started.length < 2) await new Promise((resolve) => setImmediate(resolve));
      expect(started, 'reads begun').to.have.length(2);
      const answerReads = setInterval(() => {
        started.splice(0).forEach((answer) => {
          answer();
        });
      }, 5);
      try {
        await Promise.all([first, second]);
      } finally {
        clearInterval(answerReads);
      }
    });

    it('when the cap on waiting requests is reached, then the next one is answered at once, without waiting', async () => {
      const subscriber = new FakeSubscriber();
      const { orders } = storeSettlingAfter(1000);
      const getOrder = createGetOrderUseCase({
        orders,
        settlements: waiterWith(subscriber),
        maxWaiters: 2,
      });
      const held = [getOrder('o-1', { waitMs: 5000 }), getOrder('o-1', { waitMs: 5000 })];
      const started = Date.now();
      const third = await getOrder('o-1', { waitMs: 5000 });
      expect(third).to.deep.equal({ order: pending, waited: false });
      expect(Date.now() - started).to.be.below(100);
      subscriber.announce('o-1');
      expect((await Promise.all(held)).map(({ waited }) => waited)).to.deep.equal([true, true]);
      // The slots are free again.
      const fourth = getOrder('o-1', { waitMs: 30 });
      expect((await fourth).waited).to.equal(true);
    });
    /** A store whose every read returns an order object of its own, remembering when it began. */
    function storeTimingReads(order: Order) {
      const begunAt = new Map<Order, number>();
      const orders = {
        findById: () => {
          const read = { ...order };
          begunAt.set(read, performance.now());
          return Promise.resolve(read);
        },
      } as unknown as OrderRepository;
      return { begunAt, orders };
    }

    /** Asks `getOrder` every 2 ms for `ms`; each answer with when it was asked. */
    async function pollFor(ms: number, getOrder: () => Promise<{ order: Order | null }>) {
      const asked: Promise<{ askedAt: number; order: Order | null }>[] = [];
      const until = performance.now() + ms;
      while (performance.now() < until) {
        const askedAt = performance.now();
        asked.push(getOrder().then(({ order }) => ({ askedAt, order })));
        await sleep(2);
      }
      return Promise.all(asked);
    }

    it('when polls past the cap keep coming, then the store is read about once per interval, and no answer is older than an interval', async () => {
      const { begunAt, orders } = storeTimingReads(pending);
      const getOrder = createGetOrderUseCase({
        orders,
        settlements: waiterWith(new FakeSubscriber()),
        maxWaiters: 0,
      });
      const answers = await pollFor(250, () => getOrder('o-1', { waitMs: 5000 }));
      for (const { askedAt, order } of answers) {
        const readBegunAt = begunAt.get(order as Order) ?? Number.NaN;
        expect(askedAt - readBegunAt, 'age of the answer (ms)').to.be.at.most(
          LONG_POLL_READ_INTERVAL_MS,
        );
      }
      expect(answers.length, 'polls').to.be.at.least(40);
      expect(begunAt.size, 'reads').to.be.at.most(250 / LONG_POLL_READ_INTERVAL_MS + 2);
    });

    it('when waiters keep arriving, then reads begin at most once per interval, and each waiter is answered by a read begun after it asked', async () => {
      const { begunAt, orders } = storeTimingReads(failed);
      const getOrder = createGetOrderUseCase({
        orders,
        settlements: waiterWith(new FakeSubscriber()),
        maxWaiters: 1000,
      });
      const answers = await pollFor(250, () => getOrder('o-1', { waitMs: 5000 }));
      for (const { askedAt, order } of answers) {
        const readBegunAt = begunAt.get(order as Order) ?? Number.NaN;
        expect(readBegunAt, 'when its read began').to.be.above(askedAt);
      }
      const starts = [...begunAt.values()].sort((a, b) => a - b);
      const gaps = starts.slice(1).map((start, i) => start - (starts[i] ?? 0));
      expect(Math.min(...gaps), 'shortest gap between reads (ms)').to.be.at.least(
        LONG_POLL_READ_INTERVAL_MS,
      );
      expect(answers.length, 'waiters').to.be.at.least(40);
      expect(starts.length, 'reads').to.be.at.least(2);
    });
  });
  describe('settlement announcer', () => {
    it('when orders settle in one turn, then one notice names them all, and the waiters of each wake', async () => {
      const subscriber = new FakeSubscriber();
      const waiter = waiterWith(subscriber);
      const published: [string, string][] = [];
      const redis = {
        publish(channel: string, message: string) {
          published.push([channel, message]);
          subscriber.emit('message', channel, message);
          return Promise.resolve(1);
        },
      };
      const announcer = createSettlementAnnouncer(redis as unknown as Redis, CHANNEL);
      const waits = ['o-1', 'o-2', 'o-3'].map((id) => waiter.waitFor(id, 5000));
      await Promise.all(['o-1', 'o-2', 'o-3'].map((id) => announcer.announce(id)));
      expect(published).to.deep.equal([[CHANNEL, 'o-1\no-2\no-3']]);
      expect(await Promise.all(waits)).to.deep.equal([true, true, true]);
    });
  });
});
