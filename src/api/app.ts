import Koa from 'koa';
import type { Logger } from '../shared/observability/logger.js';
import type { DependencyCheck } from '../shared/observability/dependency-checks.js';
import type { OrderRepository } from '../shared/persistence/order-repository.js';
import { healthRoutes } from './health/health-routes.js';
import { problemResponses } from './http/problem-responses.js';
import { refuseWhenStopping } from './http/refuse-when-stopping.js';
import type { CreateOrder } from './orders/create-order-use-case.js';
import { orderRoutes } from './orders/order-routes.js';

export interface AppDependencies {
  createOrder: CreateOrder;
  orders: OrderRepository;
  bodyLimitBytes: number;
  /** What readiness asks: the stores the API cannot take orders without. */
  readinessChecks: readonly DependencyCheck[];
  /** True once shutdown began: new requests are refused, readiness says "stopping". */
  isStopping: () => boolean;
  logger: Logger;
}

/** The HTTP API, built from its dependencies; main.ts wires the real ones, tests their own. */
export function createApp(deps: AppDependencies): Koa {
  const app = new Koa();
  app.silent = true; // errors are logged once, by problemResponses, with their request context

  const health = healthRoutes({ checks: deps.readinessChecks, isStopping: deps.isStopping });
  const orders = orderRoutes(deps);
  app.use(problemResponses(deps.logger));
  app.use(health.routes());
  app.use(refuseWhenStopping(deps.isStopping));
  app.use(orders.routes());
  // Not thrown: the router then sets the Allow header, and problemResponses adds the body.
  app.use(orders.allowedMethods());
  return app;
}
