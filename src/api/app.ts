import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from '../shared/observability/logger.js';
import type { OrderRepository } from '../shared/persistence/order-repository.js';
import { problemResponses } from './http/problem-responses.js';
import type { CreateOrder } from './orders/create-order-use-case.js';
import { orderRoutes } from './orders/order-routes.js';

export interface AppDependencies {
  createOrder: CreateOrder;
  orders: OrderRepository;
  bodyLimitBytes: number;
  logger: Logger;
}

/** The HTTP API, built from its dependencies; main.ts wires the real ones, tests their own. */
export function createApp(deps: AppDependencies): Koa {
  const app = new Koa();
  app.silent = true; // errors are logged once, by problemResponses, with their request context

  const health = new Router();
  health.get('/health/live', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  const orders = orderRoutes(deps);
  app.use(problemResponses(deps.logger));
  app.use(health.routes());
  app.use(orders.routes());
  // Not thrown: the router then sets the Allow header, and problemResponses adds the body.
  app.use(orders.allowedMethods());
  return app;
}
