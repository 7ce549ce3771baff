import { DelayedError, UnrecoverableError, Worker, type Job, type Telemetry } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WaitFor } from '../shared/domain/lookup-failure.js';
import { newPendingOrder } from '../shared/domain/order-lifecycle.js';
import { HISTORY_LIMIT, type HistoryEntry } from '../shared/domain/order-history.js';
import type { Logger } from '../shared/observability/logger.js';
import { OrderMissingError } from '../shared/persistence/order-repository.js';
import type { OrderJobData } from '../shared/queue/order-job.js';
import type { RedisConnection } from '../shared/queue/redis-connection.js';
import { decodeAttemptRecords, encodeAttemptRecord } from './attempt-records.js';
import {
  RetryLaterError,
  WaitForDependencyError,
  type OrderAttempt,
} from './orders/order-attempt.js';
import type { ProcessOrder } from './orders/process-order-use-case.js';

export interface WorkerDependencies {
  queueName: string;
  connection: RedisConnection;
  /** BullMQ's key prefix (its own, `bull`, when not given); hash-tagged on a cluster. */
  prefix?: string;
  concurrency: number;
  processOrder: ProcessOrder;
  /**
   * How long a job waits before it asks again: for a service that is down for everyone, for
   * a free place in a service's bulkhead, or for a resource that answers some calls. Each
   * wait is spread by ±50 % so the jobs that waited together do not all come back in the
   * same instant.
   */
  dependencyWaitMs: Record<WaitFor, number>;
  /** Told how long a job waited in the queue before its first run (seconds). */
  onFirstRun: (waitedSeconds: number) => void;
  /** BullMQ's telemetry, when tracing is on: each run becomes a span of its order's trace. */
  telemetry?: Telemetry;
  logger: Logger;
}

/** The calls of the job's runs that only waited, kept in its data by `remember`. */
function waitedEntries(job: Job<OrderJobData>): HistoryEntry[] {
  return job.data.waited === undefined ? [] : decodeAttemptRecords([job.data.waited]);
}

/** What the job's earlier runs recorded: its retried attempts and its waits, oldest first. */
function earlierEntries(job: Job<OrderJobData>): HistoryEntry[] {
  const retried = decodeAttemptRecords(job.stacktrace);
  const waited = waitedEntries(job);
  if (waited.length === 0) return retried;
  return [...retried, ...waited].sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** Turns a BullMQ job into the attempt the use case understands. */
export function attemptFromJob(job: Job<OrderJobData>): OrderAttempt {
  const maxAttempts = job.opts.attempts ?? 1;
  const { accepted } = job.data;
  return {
    orderId: job.data.orderId,
    // A retry follows a failed lookup, so its order is still PENDING (or past its deadline,
    // which the run sees from the carried acceptance time), unless the sweep failed it for
    // its deadline meanwhile, or an operator then re-drove it: a settlement of this run finds
    // the order settled, or in a newer generation, and changes nothing. So it may start from
    // the order it carries. A job picked up after stalling may have settled its order before
    // it stalled, so it reads the order back instead of calling the services again.
    accepted:
      accepted === undefined || job.stalledCounter > 0
        ? null
        : newPendingOrder(
            {
              id: job.data.orderId,
              user_id: accepted.user_id,
              product_code: accepted.product_code,
              request_id: job.data.requestId ?? null,
            },
            new Date(accepted.created_at),
          ),
    number: job.attemptsMade + 1,
    isLast: job.attemptsMade + 1 >= maxAttempts,
    generation: job.data.generation ?? 0,
    known: job.data.known ?? {},
    earlier: earlierEntries(job),
    remember: (known, waitedCalls = []) => {
      const waited =
        waitedCalls.length === 0
          ? job.data.waited
          : encodeAttemptRecord([...waitedEntries(job), ...waitedCalls].slice(-HISTORY_LIMIT));
      return job.updateData({
        ...job.data,
        known,
        ...(waited === undefined ? {} : { waited }),
      });
    },
  };
}

/** The queue side of the worker: takes order jobs and runs the use case for each. */
export function createWorker(deps: WorkerDependencies): Worker<OrderJobData> {
  const { logger } = deps;
  const worker = new Worker<OrderJobData>(
    deps.queueName,
    async (job, token) => {
      if (job.attemptsStarted <= 1 && job.stalledCounter === 0)
        deps.onFirstRun((Date.now() - job.timestamp - (job.opts.delay ?? 0)) / 1000);
      try {
        await deps.processOrder(attemptFromJob(job));
      } catch (error) {
        if (error instanceof RetryLaterError) {
          // BullMQ keeps the stack on the job with the retry: let it keep the attempt's record.
          error.stack = encodeAttemptRecord(error.entries);
          throw error;
        }
        // Retrying cannot bring the order back: the job fails for good, in the failed list
        // an operator reads, and the 'failed' handler logs it with the order id.
        if (error instanceof OrderMissingError) throw new UnrecoverableError(error.message);
        if (!(error instanceof WaitForDependencyError)) throw error;
        // Back to the delayed set as it is: the attempt is not counted, the slot is freed.
        const waitMs = deps.dependencyWaitMs[error.waitFor] * (0.5 + Math.random());
        await job.moveToDelayed(Date.now() + Math.round(waitMs), token);
        throw new DelayedError();
      }
    },
    {
      connection: deps.connection,
      ...(deps.prefix === undefined ? {} : { prefix: deps.prefix }),
      concurrency: deps.concurrency,
      autorun: false,
      ...(deps.telemetry === undefined ? {} : { telemetry: deps.telemetry }),
    },
  );

  worker.on('failed', (job, error) => {
    if (error instanceof RetryLaterError) return; // already logged with its reason
    logger.error(
      {
        err: error,
        orderId: job?.data.orderId,
        requestId: job?.data.requestId,
        attempt: job?.attemptsMade,
      },
      'order job failed',
    );
  });
  worker.on('error', (error) => {
    logger.error({ err: error }, 'worker error');
  });
  return worker;
}

/**
 * Stops taking jobs and lets active ones finish for up to `graceMs`. Jobs still running then
 * are abandoned, not lost: their locks run out and any worker picks them up again as stalled,
 * and every step of an order's job is safe to repeat.
 */
/** How long a job waits before it asks a dependency again, from the breakers' settings. */
export function dependencyWaits(breaker: { resetTimeoutMs: number }): Record<WaitFor, number> {
  return {
    // A service's breaker lets a trial call through after its reset time: ask again then.
    service: breaker.resetTimeoutMs,
    // A bulkhead frees a place whenever one of its calls ends; a second is plenty.
    capacity: 1000,
    // A resource that answers some calls may answer the next: ask again after a short
    // backoff, no later than its breaker's trial call.
    resource: Math.min(2000, breaker.resetTimeoutMs),
  };
}

export async function closeWithin(
  worker: Worker<OrderJobData>,
  graceMs: number,
  logger: Logger,
): Promise<void> {
  const closed = worker.close().then(() => 'finished' as const);
  const outcome = await Promise.race([
    closed,
    sleep(graceMs, 'grace period over' as const, { ref: false }),
  ]);
  if (outcome === 'finished') return;
  logger.warn({ graceMs }, 'active jobs did not finish in time; they will be picked up again');
  await worker.close(true);
}
