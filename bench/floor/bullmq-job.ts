/**
 * Floor part 2, the queue alone: an order's job added, run by a worker whose processor does
 * nothing, and completed. The job is added the way the API adds it (the API's own order
 * queue: the same job data and options, removeOnComplete and attempts among them, grouped
 * into addBulk with the concurrent ones), so its Redis work is the service's; the worker is
 * a plain BullMQ Worker running `concurrency` jobs at once.
 *
 * The loops keep as many jobs waiting as the worker runs: each adds a job, then waits for the
 * oldest one outstanding to complete. So the worker always finds its next job waiting, as it
 * does in the end-to-end run (where a backlog builds in front of it), and takes it with the
 * completion of the last one; with only one job per loop, the queue would run dry after each
 * completion and every job would pay a separate fetch (about 45 Redis commands and half as
 * much CPU again per job, instead of 40). Adds still keep pace with completions: nothing
 * grows inside the measured window.
 */
import { Worker } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { loadApiConfig } from '../../src/shared/config/config.js';
import { newPendingOrder } from '../../src/shared/domain/order-lifecycle.js';
import { orderJobId } from '../../src/shared/queue/order-job.js';
import { createOrderQueue } from '../../src/shared/queue/order-queue.js';
import { closeRedis, createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { INSTANT_ORDER } from '../stubs.js';
import { serveFloorPart } from './child.js';
import { CONCURRENCY_VARIABLE } from './protocol.js';

/** How the end of one job is told to whoever waits for it. */
interface JobEnd {
  completed: () => void;
  failed: (error: Error) => void;
}

await serveFloorPart(async () => {
  const concurrency = Number(process.env[CONCURRENCY_VARIABLE] ?? '64');
  const config = loadApiConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const producer = createRedisConnection(config.redis, 'producer');
  const consumer = createRedisConnection(config.redis, 'worker');
  const queue = createOrderQueue({
    name: config.queue.name,
    connection: producer,
    prefix: config.queue.prefix,
    retry: config.queue,
  });
  const worker = new Worker(config.queue.name, () => Promise.resolve(), {
    connection: consumer,
    prefix: config.queue.prefix,
    concurrency,
  });
  /** Job id → how its end is told, for every job added and not ended yet. */
  const ends = new Map<string, JobEnd>();
  /** The ends of the jobs added and not waited for yet, oldest first. */
  const outstanding: Promise<void>[] = [];
  const endOf = (id: string | undefined) => {
    const end = ends.get(id ?? '');
    ends.delete(id ?? '');
    return end;
  };
  worker.on('completed', (job) => {
    endOf(job.id)?.completed();
  });
  // A job cannot fail here, but Redis can: the loop that waits for it fails, and the part.
  worker.on('failed', (job, error) => {
    endOf(job?.id)?.failed(error);
  });
  worker.on('error', () => {
    // Surfaces as a job that never completes; the parent's window then counts too few.
  });
  await worker.waitUntilReady();
  return {
    runOne: async () => {
      const order = newPendingOrder(
        { id: randomUUID(), ...INSTANT_ORDER, request_id: randomUUID() },
        new Date(),
      );
      const jobId = orderJobId(order.id);
      const ended = new Promise<void>((completed, failed) => {
        ends.set(jobId, { completed, failed });
      });
      // Waited for later, by this loop or another: a failure meanwhile is not unhandled.
      ended.catch(() => undefined);
      try {
        await queue.enqueue(order);
      } catch (error) {
        ends.delete(jobId);
        throw error;
      }
      outstanding.push(ended);
      if (outstanding.length > concurrency) await outstanding.shift();
    },
    close: async () => {
      await worker.close();
      await queue.close();
      await Promise.all([closeRedis(producer), closeRedis(consumer)]);
    },
  };
});
