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
  known?: KnownLookups;
}

/** The order fields a job is made from. */
export interface QueuedOrder {
  id: string;
  request_id: string | null;
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
