import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { z } from 'zod';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';
import { ProblemError, problem } from '../http/problem.js';
import { requireJson } from '../http/require-json.js';
import type { CreateOrder } from './create-order-use-case.js';
import { parseOrderRequest } from './order-request.js';
import { orderLocation, orderResource } from './order-resource.js';

export interface OrderRoutesDependencies {
  createOrder: CreateOrder;
  orders: OrderRepository;
  bodyLimitBytes: number;
}

const orderId = z.uuid();

export function orderRoutes(deps: OrderRoutesDependencies): Router {
  const router = new Router();
  const jsonBody = bodyParser({
    enableTypes: ['json'],
    jsonLimit: deps.bodyLimitBytes,
    jsonStrict: true,
  });

  router.post('/orders', requireJson(), jsonBody, async (ctx) => {
    const request = parseOrderRequest(ctx.request.body);
    const order = await deps.createOrder(request);
    ctx.status = 202;
    ctx.set('Location', orderLocation(order));
    ctx.body = orderResource(order);
  });

  router.get('/orders/:id', async (ctx) => {
    const id = orderId.safeParse(ctx.params.id);
    // An id we could never have issued is as unknown as a missing one.
    const order = id.success ? await deps.orders.findById(id.data) : null;
    if (order === null) {
      throw new ProblemError(
        problem(404, 'order-not-found', 'Order not found', 'There is no order with this id.'),
      );
    }
    ctx.body = orderResource(order);
  });

  return router;
}
