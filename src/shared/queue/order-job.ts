import type { JobsOptions } from 'bullmq';
import type { Product, UserProfile } from '../domain/order-details.js';
import { HISTORY_LIMIT } from '../domain/order-history.js';

export const PROCESS_ORDER_JOB = 'process-order';

/** Lookups that already succeeded ride along with the job so a retry does not repeat them. */
export interface KnownLookups {
  user?: UserProfile;
  product?: Product;
}

export interface OrderJobData {
  orderId: string;
  /** The request id of the order's POST, so the worker's logs and calls carry it on. */
  requestId?: string | null;
  /**
   * The order as it was accepted, when the API queued it: runs begin from it instead of
   * reading the order back, except after a stall (the order may be settled by then). The
   * sweep removes it before it runs a finished job again.
   */
  accepted?: { user_id: string; product_code: string; created_at: string };
  known?: KnownLookups;
  /**
   * The calls of runs that only waited (they spend no attempt, so BullMQ keeps no record of
   * them), for the order's history: an attempt record (see the worker's attempt-records).
   */
  waited?: string;
  /** The re-drive generation of the order the job runs (see Order.generation); 0 when absent. */
  generation?: number;
}

/** The order fields a job is made from; a freshly accepted order gives all of them. */
export interface QueuedOrder {
  id: string;
  request_id: string | null;
  /** 0, the order as accepted, when absent. */
  generation?: number;
  user_id?: string;
  product_code?: string;
  created_at?: Date;
}

export function orderJobData(order: QueuedOrder): OrderJobData {
  const { id, request_id, user_id, product_code, created_at, generation = 0 } = order;
  return {
    orderId: id,
    requestId: request_id,
    // A re-driven order is read back by its job: what it carried when accepted is history.
    ...(user_id === undefined ||
    product_code === undefined ||
    created_at === undefined ||
    generation > 0
      ? {}
      : { accepted: { user_id, product_code, created_at: created_at.toISOString() } }),
    ...(generation > 0 ? { generation } : {}),
  };
}

/**
 * The job id of an order's generation: the order id for the order as accepted, and the id
 * with the generation for each re-drive. BullMQ ignores an add whose id it still holds, so a
 * re-drive needs an id of its own; two re-drives into the same generation add one job.
 */
export function orderJobId(orderId: string, generation = 0): string {
  return generation === 0 ? orderId : `${orderId}-redrive-${generation}`;
}

export interface RetrySettings {
  attempts: number;
  retryBaseDelayMs: number;
}

/**
 * The job id names the order and its generation (orderJobId): adding the same order twice is
 * a no-op while its job exists. Retries go back through Redis with exponential backoff and
 * jitter, so a job waiting for its next attempt holds no worker slot. Each failed attempt's
 * record stays on the job (its "stack trace", see attempt-records), at most as many as an
 * order's history holds.
 */
export function orderJobOptions(
  order: { id: string; generation?: number },
  retry: RetrySettings,
): JobsOptions {
  return {
    jobId: orderJobId(order.id, order.generation),
    attempts: retry.attempts,
    stackTraceLimit: HISTORY_LIMIT,
    backoff: { type: 'exponential', delay: retry.retryBaseDelayMs, jitter: 0.5 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
