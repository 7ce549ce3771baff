import { Queue } from 'bullmq';
import { groupCommit } from '../batching/group-commit.js';
import { withinTimeLimit } from '../lifecycle/time-limit.js';
import { currentTraceCarrier, inSpan, type TraceCarrier } from '../observability/trace-context.js';
import {
  PROCESS_ORDER_JOB,
  orderJobData,
  orderJobId,
  orderJobOptions,
  type OrderJobData,
  type QueuedOrder,
  type RetrySettings,
} from './order-job.js';
import type { RedisConnection } from './redis-connection.js';

/** What `ensureQueued` found: no job (one was added), a finished one (run again), a live one. */
export type QueueRepair = 'added' | 'retried' | 'present';

/** An order to queue, with the trace context of the request that accepted it. */
interface TracedOrder {
  order: QueuedOrder;
  trace: TraceCarrier;
}

/** The producer side of the order queue. */
export interface OrderQueue {
  /** Adds the order's job; a no-op while a job for the order exists. */
  enqueue(order: QueuedOrder): Promise<void>;
  /**
   * Makes sure a PENDING order has a live job: adds one when there is none, and runs a job
   * again, with fresh attempts, when it ended (it failed for good while its order is PENDING).
   */
  ensureQueued(order: QueuedOrder): Promise<QueueRepair>;
  /** How many jobs are in each state (waiting, active, delayed, completed, failed, …). */
  jobCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/**
 * BullMQ waits for its connection to become ready, for as long as Redis is away. A caller
 * that must answer quickly (the API) gets an error after `timeoutMs` instead; an `add` that
 * still lands later is harmless, because the job id is the order id.
 */
export function createOrderQueue(options: {
  name: string;
  connection: RedisConnection;
  /** BullMQ's key prefix (its own, `bull`, when not given); hash-tagged on a cluster. */
  prefix?: string;
  retry: RetrySettings;
  timeoutMs?: number;
}): OrderQueue {
  const queue = new Queue<OrderJobData>(options.name, {
    connection: options.connection,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
  });
  queue.on('error', () => {
    // Connection errors surface through the rejected add; without a listener they would crash.
  });
  const timeoutMs = options.timeoutMs ?? 2000;
  // The job carries its order's trace context where BullMQ's telemetry looks for it
  // (`opts.telemetry.metadata`), so the worker's run continues the trace of the POST. Jobs
  // are added in batches: the context must be each order's own, not the batch's.
  const jobFor = ({ order, trace }: TracedOrder) => ({
    name: PROCESS_ORDER_JOB,
    data: orderJobData(order),
    opts: {
      ...orderJobOptions(order, options.retry),
      ...(Object.keys(trace).length === 0
        ? {}
        : { telemetry: { metadata: JSON.stringify(trace) } }),
    },
  });
  const add = (order: QueuedOrder) => {
    const { name, data, opts } = jobFor({ order, trace: currentTraceCarrier() });
    return queue.add(name, data, opts);
  };
  // Orders accepted together are queued together: one addBulk (one Redis transaction) for
  // all of them. Redis refusing it refuses every order in it, as it would have one by one.
  const addTogether = groupCommit(
    async (orders: readonly TracedOrder[]) => {
      await queue.addBulk(orders.map(jobFor));
      return orders.map(() => true);
    },
    { maxBatch: 100 },
  );

  return {
    enqueue(order) {
      return inSpan('enqueue order', 'producer', async (span) => {
        span.setAttribute('order.id', order.id);
        await withinTimeLimit(
          addTogether({ order, trace: currentTraceCarrier() }),
          timeoutMs,
          () => new Error(`the queue did not take order ${order.id} within ${timeoutMs} ms`),
        );
      });
    },
    async ensureQueued(order) {
      const job = await queue.getJob(orderJobId(order.id, order.generation));
      if (job === undefined) {
        await add(order);
        return 'added';
      }
      const state = await job.getState();
      if (state !== 'failed' && state !== 'completed') return 'present';
      try {
        // Fresh attempts from a stored order: the order the job carried may be stale now.
        const { accepted: _stale, ...data } = job.data;
        await job.updateData(data);
        await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
        return 'retried';
      } catch {
        return 'present'; // it moved on since we looked (another sweep retried it)
      }
    },
    jobCounts: () => queue.getJobCounts(),
    close: () => queue.close(),
  };
}
