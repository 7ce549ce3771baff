import type { Middleware } from 'koa';
import { Histogram, type Registry } from 'prom-client';

/** Seconds; a 202 takes milliseconds, a long-poll up to 30 s (and a little more). */
const BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 35, 60,
];

/**
 * Times every request by route pattern (`/orders/:id`, never the id itself, so the series stay
 * few), method and status. Requests no route matched share the route label `unmatched`;
 * a mounted app (the queue dashboard) names its own through `ctx.state.metricsRoute`.
 */
export function httpMetrics(registry: Registry): Middleware {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route pattern, method and status code.',
    labelNames: ['route', 'method', 'status_code'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  return async (ctx, next) => {
    const end = duration.startTimer();
    try {
      await next();
    } finally {
      // Set by @koa/router on the context: the pattern of the route that answered.
      const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      const route =
        (ctx.state as { metricsRoute?: string }).metricsRoute ??
        (typeof matched === 'string' ? matched : 'unmatched');
      end({ route, method: ctx.method, status_code: String(ctx.status) });
    }
  };
}
