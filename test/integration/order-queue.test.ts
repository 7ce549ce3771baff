import { expect } from 'chai';
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createOrderQueue, type OrderQueue } from '../../src/shared/queue/order-queue.js';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { dropQueue } from '../support/queues.js';
import { services, uniqueName } from '../support/services.js';

describe('order queue (real Redis)', () => {
  const name = uniqueName('test_queue');
  let redis: Redis;
  let queue: OrderQueue;
  let inspector: Queue;

  before(() => {
    redis = createRedisConnection(services.redisUrl, 'producer');
    queue = createOrderQueue({
      name,
      connection: redis,
      retry: { attempts: 4, retryBaseDelayMs: 250 },
    });
    inspector = new Queue(name, { connection: createRedisConnection(services.redisUrl, 'worker') });
  });
  after(async () => {
    await inspector.close();
    await dropQueue(name);
    await queue.close();
    redis.disconnect();
  });

  it('when an order is enqueued, then its job is keyed by the order id and carries the retry policy', async () => {
    const orderId = randomUUID();
    await queue.enqueue({ id: orderId, request_id: 'request-1' });
    const job = await inspector.getJob(orderId);
    expect(job?.data).to.deep.equal({ orderId, requestId: 'request-1' });
    expect(job?.opts.attempts).to.equal(4);
    expect(job?.opts.backoff).to.deep.equal({ type: 'exponential', delay: 250, jitter: 0.5 });
  });

  it('when the same order is enqueued twice, then there is still one job', async () => {
    const orderId = randomUUID();
    await queue.enqueue({ id: orderId, request_id: null });
    await queue.enqueue({ id: orderId, request_id: null });
    const jobs = await inspector.getJobs(['waiting']);
    expect(jobs.filter((job) => job.id === orderId)).to.have.length(1);
  });

  it('when Redis cannot be reached, then enqueue fails fast instead of waiting', async () => {
    const offline = createRedisConnection('redis://127.0.0.1:1', 'producer');
    offline.on('error', () => undefined);
    const unreachable = createOrderQueue({
      name,
      connection: offline,
      retry: { attempts: 1, retryBaseDelayMs: 1 },
      timeoutMs: 500,
    });
    const started = Date.now();
    const error = await unreachable
      .enqueue({ id: randomUUID(), request_id: null })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(Error);
    expect(Date.now() - started).to.be.lessThan(3000);
    offline.disconnect();
  });
});
