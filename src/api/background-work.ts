import { runPeriodically } from '../shared/lifecycle/run-periodically.js';
import type { Logger } from '../shared/observability/logger.js';
import type { IdempotencyStore } from '../shared/persistence/idempotency-store.js';
import type { Authenticator } from './auth/authenticator.js';

/** Idempotency keys expire by the minute; a pass every ten minutes deletes about ten buckets. */
const KEY_SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * The API's loops beside its requests, until `signal` aborts: the deletion of expired
 * idempotency keys and, with JWT sign-in, the refresh of the signing keys.
 */
export function runBackgroundWork(work: {
  idempotencyKeys: IdempotencyStore;
  authenticator: Authenticator | null;
  signal: AbortSignal;
  logger: Logger;
}): void {
  const { signal, logger } = work;
  void runPeriodically(() => work.idempotencyKeys.deleteExpired(new Date()), {
    intervalMs: KEY_SWEEP_INTERVAL_MS,
    signal,
    logger,
    name: 'delete expired idempotency keys',
  });
  const keyRefresh = work.authenticator?.background;
  if (keyRefresh !== undefined) {
    void runPeriodically(keyRefresh.run, {
      intervalMs: keyRefresh.intervalMs,
      signal,
      logger,
      name: keyRefresh.name,
    });
  }
}
