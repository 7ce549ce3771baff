import type { Middleware } from 'koa';
import { ProblemError, problem } from './problem.js';

export const STOPPING = problem({
  status: 503,
  slug: 'shutting-down',
  title: 'Service unavailable',
  detail: 'This instance is shutting down; send the request again (another instance will take it).',
});

/**
 * Once the process is stopping, requests that still arrive on open keep-alive connections are
 * refused with a 503 and `Connection: close`, so clients move to another instance instead of
 * holding this one open. Requests already in flight are not affected.
 */
export function refuseWhenStopping(isStopping: () => boolean): Middleware {
  return async (ctx, next) => {
    if (isStopping()) {
      ctx.set('Connection', 'close');
      throw new ProblemError(STOPPING, { 'Retry-After': '1' });
    }
    await next();
  };
}
