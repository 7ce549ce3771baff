import Koa, { type Middleware } from 'koa';
import { createServer, type Server } from 'node:http';
import type { DependencyCheck } from './dependency-checks.js';
import { healthRoutes } from './health-routes.js';
import type { Registry } from './metrics-registry.js';
import { metricsRoute } from './metrics-route.js';

export interface OpsHttpDependencies {
  registry: Registry;
  /** The process's request timing (httpMetrics), shared with its public server if it has one. */
  measureHttp: Middleware;
  readinessChecks: readonly DependencyCheck[];
  isStopping: () => boolean;
}

/**
 * A process's operations side, on a port of its own that is not published (the API's
 * OPS_PORT, the worker's WORKER_PORT): /metrics, /health/live, and /health/ready naming every
 * dependency and its error. Scrapers and orchestrators reach it; the public does not.
 */
export function createOpsServer(deps: OpsHttpDependencies): Server {
  const app = new Koa();
  const health = healthRoutes({
    checks: deps.readinessChecks,
    isStopping: deps.isStopping,
    detailed: true,
  });
  const metrics = metricsRoute(deps.registry);
  app.use(deps.measureHttp);
  app.use(health.routes());
  app.use(metrics.routes());
  const handle = app.callback();
  return createServer((request, response) => {
    void handle(request, response);
  });
}
