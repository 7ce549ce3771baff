import { Registry, collectDefaultMetrics } from 'prom-client';

export type { Registry };

/**
 * A registry of the process's own, never prom-client's global one: each process (and each test)
 * builds its metrics explicitly, and two apps in one test process do not share counters.
 * Default metrics (CPU, memory, event-loop lag, GC) come with it.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
