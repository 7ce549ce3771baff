import type { WorkerConfig } from '../shared/config/config.js';
import { runPeriodically } from '../shared/lifecycle/run-periodically.js';
import type { Logger } from '../shared/observability/logger.js';
import type { OrderRepository } from '../shared/persistence/order-repository.js';
import type { WorkerMetrics } from './observability/worker-metrics.js';
import type { WorkerUseCases } from './worker-use-cases.js';

/** Settlements expire by the minute; a pass every ten minutes deletes about ten buckets. */
const SETTLEMENT_SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * The worker's loops beside its jobs, until `signal` aborts: the outbox relay, the recovery
 * sweep and the deletion of expired settlement records. Each run is logged when it fails and
 * never overlaps the one before.
 */
export function runBackgroundWork(
  config: WorkerConfig,
  work: {
    useCases: WorkerUseCases;
    orders: OrderRepository;
    metrics: WorkerMetrics;
    clock: () => Date;
    signal: AbortSignal;
    logger: Logger;
  },
): void {
  const { useCases, signal, logger } = work;
  void runPeriodically(useCases.relayOutbox, {
    intervalMs: config.outbox.relayIntervalMs,
    // Only a broker that refuses publishes makes it back off; a short cap gets the backlog
    // out within a few seconds of the broker's return.
    maxBackoffMs: 3 * config.outbox.relayIntervalMs,
    signal,
    logger,
    name: 'outbox relay',
  });
  void runPeriodically(
    async () => {
      const counts = await useCases.recoverStrandedOrders();
      for (const [outcome, count] of Object.entries(counts)) {
        if (outcome !== 'present') work.metrics.strandedOrders(outcome, count);
      }
    },
    {
      intervalMs: config.recoverySweepIntervalMs,
      signal,
      logger,
      name: 'recover stranded orders',
    },
  );
  void runPeriodically(() => work.orders.deleteExpiredSettlements(work.clock()), {
    intervalMs: SETTLEMENT_SWEEP_INTERVAL_MS,
    signal,
    logger,
    name: 'delete expired settlements',
  });
}
