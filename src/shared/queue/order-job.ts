import type { JobsOptions } from 'bullmq';
import type { Product, UserProfile } from '../domain/order-details.js';

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
}

/** The order fields a job is made from; a freshly accepted order gives all of them. */
export interface QueuedOrder {
  id: string;
  request_id: string | null;
  user_id?: string;
  product_code?: string;
  created_at?: Date;
}

export function orderJobData(order: QueuedOrder): OrderJobData {
  const { id, request_id, user_id, product_code, created_at } = order;
  return {
    orderId: id,
    requestId: request_id,
    ...(user_id === undefined || product_code === undefined || created_at === undefined
      ? {}
      : { accepted: { user_id, product_code, created_at: created_at.toISOString() } }),
  };
}

export interface RetrySettings {
  attempts: number;
  retryBaseDelayMs: number;
}

/**
 * The job id is the order id: adding the same order twice is a no-op while its job exists.
 * Retries go back through Redis with exponential backoff and jitter, so a job waiting for its
 * next attempt holds no worker slot.
 */
export function orderJobOptions(orderId: string, retry: RetrySettings): JobsOptions {
  return {
    jobId: orderId,
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.retryBaseDelayMs, jitter: 0.5 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
