import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../../shared/observability/logger.js';

const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * A caller's request id is kept when it is a plain token (up to 128 of `A-Z a-z 0-9 . _ : -`),
 * so ids from a gateway or another service carry through; anything else is replaced, never
 * echoed, so a header cannot inject text into logs or responses.
 */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestState {
  requestId: string;
  /** The process logger with this request's id on every line. */
  log: Logger;
}

function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && ACCEPTED_REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * Gives every request an id (`X-Request-Id`, taken from the caller or made here), returns it
 * in the response, and logs one line per request with method, route, status and duration.
 */
export function requestContext(logger: Logger): Middleware<RequestState> {
  return async (ctx, next) => {
    const started = performance.now();
    const requestId = requestIdFrom(ctx.get(REQUEST_ID_HEADER) || undefined);
    ctx.state.requestId = requestId;
    ctx.state.log = logger.child({ requestId });
    ctx.set(REQUEST_ID_HEADER, requestId);
    try {
      await next();
    } finally {
      // Probes and scrapes come every few seconds and say nothing about orders.
      const routine = ctx.path === '/metrics' || ctx.path.startsWith('/health/');
      ctx.state.log[routine ? 'debug' : 'info'](
        {
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
        },
        'request finished',
      );
    }
  };
}
