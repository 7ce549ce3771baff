import Koa from 'koa';
import type { DependencyCheck } from '../../shared/observability/dependency-checks.js';
import { healthRoutes } from '../../shared/observability/health-routes.js';
import { httpMetrics } from '../../shared/observability/http-metrics.js';
import type { Registry } from '../../shared/observability/metrics-registry.js';
import { metricsRoute } from '../../shared/observability/metrics-route.js';

export interface WorkerHttpDependencies {
  registry: Registry;
  readinessChecks: readonly DependencyCheck[];
  isStopping: () => boolean;
}

/** The worker's own small HTTP side (WORKER_PORT): /metrics, /health/live, /health/ready. */
export function createWorkerHttp(deps: WorkerHttpDependencies): Koa {
  const app = new Koa();
  const health = healthRoutes({ checks: deps.readinessChecks, isStopping: deps.isStopping });
  const metrics = metricsRoute(deps.registry);
  app.use(httpMetrics(deps.registry));
  app.use(health.routes());
  app.use(metrics.routes());
  return app;
}
