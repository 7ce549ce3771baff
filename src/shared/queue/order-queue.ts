import { Queue } from 'bullmq';
import { setTimeout } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import {
  PROCESS_ORDER_JOB,
  orderJobOptions,
  type OrderJobData,
  type RetrySettings,
} from './order-job.js';

/** The producer side of the order queue: what the API needs, nothing more. */
export interface OrderQueue {
  enqueue(orderId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * BullMQ waits for its connection to become ready, for as long as Redis is away. A caller
 * that must answer quickly (the API) gets an error after `timeoutMs` instead; an `add` that
 * still lands later is harmless, because the job id is the order id.
 */
export function createOrderQueue(options: {
  name: string;
  connection: Redis;
  retry: RetrySettings;
  timeoutMs?: number;
}): OrderQueue {
  const queue = new Queue<OrderJobData>(options.name, { connection: options.connection });
  queue.on('error', () => {
    // Connection errors surface through the rejected add; without a listener they would crash.
  });
  const timeoutMs = options.timeoutMs ?? 2000;
  return {
    async enqueue(orderId) {
      const added = queue.add(
        PROCESS_ORDER_JOB,
        { orderId },
        orderJobOptions(orderId, options.retry),
      );
      added.catch(() => undefined); // a late failure after the timeout is already reported
      await Promise.race([
        added,
        setTimeout(timeoutMs, undefined, { ref: false }).then(() => {
          throw new Error(`the queue did not take order ${orderId} within ${timeoutMs} ms`);
        }),
      ]);
    },
    close: () => queue.close(),
  };
}
