import { setTimeout as sleep } from 'node:timers/promises';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Dependency } from '../../shared/domain/lookup-failure.js';
import type { Order } from '../../shared/domain/order.js';
import type { Logger } from '../../shared/observability/logger.js';

/** A scrape must answer even while a store is away: each read gets this long. */
const SCRAPE_READ_TIMEOUT_MS = 1000;

function within<T>(read: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    read,
    sleep(SCRAPE_READ_TIMEOUT_MS, undefined, { ref: false }).then(() => {
      throw new Error(`${what}: no answer within ${SCRAPE_READ_TIMEOUT_MS} ms`);
    }),
  ]);
}

/** Where the scrape-time gauges read their values; each read is one cheap query. */
export interface WorkerGaugeSources {
  /** BullMQ job counts by state (waiting, active, delayed, completed, failed, …). */
  queueJobCounts(): Promise<Record<string, number>>;
  /** Settled orders whose event is not published yet. */
  outboxBacklog(): Promise<number>;
  /** How many resource breakers of each service are in each state. */
  breakerStates(): { service: Dependency; state: 'closed' | 'open' | 'half_open'; count: number }[];
  /** Calls each service has in flight from this worker (its bulkhead's count). */
  callsInFlight(): Record<Dependency, number>;
}

const PUBLISH_FAILURES = ['unroutable', 'broker'] as const;
export type PublishFailure = (typeof PUBLISH_FAILURES)[number];

export interface WorkerMetrics {
  orderFinished(order: Order): void;
  dependencyCall(service: Dependency, outcome: string, seconds: number): void;
  eventPublished(): void;
  /** No queue was bound for `routingKey`: the broker keeps the event in the parking queue. */
  eventParked(routingKey: string): void;
  /** `unroutable`: not even the parking queue took it; `broker`: anything else. */
  eventPublishFailed(reason: PublishFailure): void;
  /**
   * What a recovery sweep pass did with the orders it read, by outcome (added, retried,
   * expired); `error` counts the orders it could not repair, on their own counter.
   */
  strandedOrders(outcome: string, count: number): void;
  /** A settlement found no order to apply to: the store lost it; nothing was published. */
  settlementUnmatched(): void;
  /** A worker took a job for its first run, this long after it was queued. */
  jobTaken(waitedSeconds: number): void;
}

const SERVICE_LABEL: Record<Dependency, string> = {
  user: 'user-service',
  product: 'product-service',
};

/** The worker's metrics; names and labels are listed in docs/operations.md (Metrics). */
export function createWorkerMetrics(
  registry: Registry,
  sources: WorkerGaugeSources,
  logger: Logger,
): WorkerMetrics {
  const registers = [registry];
  const finished = new Counter({
    name: 'orders_finished_total',
    help: 'Orders that reached a final state, by status and failure code ("none" when confirmed).',
    labelNames: ['status', 'failure_code'] as const,
    registers,
  });
  const timeToFinal = new Histogram({
    name: 'order_time_to_final_seconds',
    help: 'Time from acceptance (202) to the final state, by status.',
    labelNames: ['status'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 90, 120, 300, 600],
    registers,
  });
  const dependencyDuration = new Histogram({
    name: 'dependency_request_duration_seconds',
    help: 'Calls to the user and product services, by service and outcome (success or the failure cause).',
    labelNames: ['service', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 75],
    registers,
  });
  const published = new Counter({
    name: 'events_published_total',
    help: 'Order events (created_order, failed_order) the broker confirmed into a queue bound for them.',
    registers,
  });
  const parked = new Counter({
    name: 'events_parked_total',
    help: "Order events no queue was bound for, kept in the exchange's parking queue (<exchange>.unrouted), by routing key.",
    labelNames: ['routing_key'] as const,
    registers,
  });
  for (const routingKey of ['created_order', 'failed_order'])
    parked.inc({ routing_key: routingKey }, 0);
  const publishFailures = new Counter({
    name: 'event_publish_failures_total',
    help: 'Publishes of order events that failed (the event stays in the outbox), by reason: unroutable (not even the parking queue took it) or broker.',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of PUBLISH_FAILURES) publishFailures.inc({ reason }, 0);
  const stranded = new Counter({
    name: 'stranded_orders_recovered_total',
    help: 'PENDING orders the recovery sweep repaired, by what it did (added, retried, expired).',
    labelNames: ['outcome'] as const,
    registers,
  });
  // Shown as 0 from the start, so a dashboard or an alert sees the series before any repair.
  for (const outcome of ['added', 'retried', 'expired']) stranded.inc({ outcome }, 0);
  const sweepErrors = new Counter({
    name: 'recovery_sweep_order_errors_total',
    help: 'PENDING orders the recovery sweep could not repair because of an error; the next pass tries them again.',
    registers,
  });
  const unmatched = new Counter({
    name: 'order_settlements_unmatched_total',
    help: 'Settlements not applied because the store no longer holds their order (it lost the write that accepted it); no event is published and the job is left failed.',
    registers,
  });
  const queueWait = new Histogram({
    name: 'order_queue_wait_seconds',
    help: 'Time from an order being queued to a worker taking its job for the first time.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers,
  });

  // A value that cannot be read is shown as unknown (NaN, or no series) rather than stale.
  const onScrapeFailure = (error: unknown) => {
    logger.debug({ err: error }, 'metrics: a gauge could not be read');
  };
  new Gauge({
    name: 'queue_jobs',
    help: 'Jobs in the order queue, by state.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      this.reset();
      const counts = await within(sources.queueJobCounts(), 'queue counts').catch(onScrapeFailure);
      if (counts === undefined) return;
      for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'outbox_backlog_events',
    help: 'Settled orders whose event (created_order or failed_order) is not published yet.',
    registers,
    async collect() {
      const backlog = await within(sources.outboxBacklog(), 'outbox backlog').catch(
        onScrapeFailure,
      );
      this.set(backlog ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'circuit_breakers',
    help: 'Per-resource circuit breakers, by service and state.',
    labelNames: ['service', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const service of ['user', 'product'] as const)
        for (const state of ['closed', 'open', 'half_open'] as const)
          this.set({ service: SERVICE_LABEL[service], state }, 0);
      for (const { service, state, count } of sources.breakerStates())
        this.set({ service: SERVICE_LABEL[service], state }, count);
    },
  });

  new Gauge({
    name: 'dependency_calls_in_flight',
    help: 'Calls to each service in flight from this worker; LOOKUP_MAX_IN_FLIGHT caps them.',
    labelNames: ['service'] as const,
    registers,
    collect() {
      for (const [service, count] of Object.entries(sources.callsInFlight()))
        this.set({ service: SERVICE_LABEL[service as Dependency] }, count);
    },
  });

  return {
    orderFinished(order) {
      finished.inc({ status: order.status, failure_code: order.failure?.code ?? 'none' });
      timeToFinal.observe(
        { status: order.status },
        // A re-driven order's time runs from its re-drive, as its deadline does.
        (order.updated_at.getTime() - (order.redriven_at ?? order.created_at).getTime()) / 1000,
      );
    },
    dependencyCall(service, outcome, seconds) {
      dependencyDuration.observe({ service: SERVICE_LABEL[service], outcome }, seconds);
    },
    eventPublished: () => {
      published.inc();
    },
    eventParked: (routingKey) => {
      parked.inc({ routing_key: routingKey });
    },
    eventPublishFailed: (reason) => {
      publishFailures.inc({ reason });
    },
    strandedOrders(outcome, count) {
      if (count <= 0) return;
      if (outcome === 'error') sweepErrors.inc(count);
      else stranded.inc({ outcome }, count);
    },
    settlementUnmatched() {
      unmatched.inc();
    },
    jobTaken(waitedSeconds) {
      queueWait.observe(Math.max(0, waitedSeconds));
    },
  };
}
