import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { z } from 'zod';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';
import { ProblemError, problem } from '../http/problem.js';
import { requireJson } from '../http/require-json.js';
import { IdempotencyKeyReusedError, type CreateOrder } from './create-order-use-case.js';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from './idempotency-key.js';
import { parseOrderRequest } from './order-request.js';
import { orderLocation, orderResource } from './order-resource.js';

export interface OrderRoutesDependencies {
  createOrder: CreateOrder;
  orders: OrderRepository;
  bodyLimitBytes: number;
}

const orderId = z.uuid();

const KEY_REUSED = problem(
  422,
  'idempotency-key-reused',
  'Idempotency-Key reused',
  'This Idempotency-Key was first sent with a different order; use a new key for a new order.',
);

export function orderRoutes(deps: OrderRoutesDependencies): Router {
  const router = new Router();
  const jsonBody = bodyParser({
    enableTypes: ['json'],
    jsonLimit: deps.bodyLimitBytes,
    jsonStrict: true,
  });

  router.post('/orders', requireJson(), jsonBody, async (ctx) => {
    const idempotencyKey = parseIdempotencyKey(ctx.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()]);
    const request = parseOrderRequest(ctx.request.body);
    const { order, replayed } = await deps
      .createOrder(request, { idempotencyKey })
      .catch((error: unknown) => {
        throw error instanceof IdempotencyKeyReusedError ? new ProblemError(KEY_REUSED) : error;
      });
    ctx.status = 202;
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
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
