import type { Middleware } from 'koa';
import { PROBLEMS } from './problem-responses.js';
import { ProblemError } from './problem.js';

/** Each path the API serves (OpenAPI templates such as `/orders/{id}`) with its methods. */
export type ServedMethods = Readonly<Record<string, readonly string[]>>;

/**
 * A request for a path the API serves, with a method it does not serve there, is answered 405
 * with `Allow` (RFC 9110), whatever the method: TRACE or PROPFIND included, which the router
 * alone would answer 501 or 404. The paths come from the OpenAPI document, whose test keeps it
 * equal to the routes; OPTIONS is left to the routers, and HEAD goes wherever GET does.
 */
export function methodNotAllowed(served: ServedMethods): Middleware {
  const paths = Object.entries(served).map(([template, methods]) => {
    const upper = methods.map((method) => method.toUpperCase());
    const allowed = [...upper, ...(upper.includes('GET') ? ['HEAD'] : []), 'OPTIONS'];
    const pattern = template
      .split(/\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
      .join('[^/]+');
    return { matches: new RegExp(`^${pattern}/?$`), allowed };
  });
  return async (ctx, next) => {
    const path = paths.find(({ matches }) => matches.test(ctx.path));
    if (path !== undefined && !path.allowed.includes(ctx.method)) {
      throw new ProblemError(PROBLEMS.methodNotAllowed, { Allow: path.allowed.join(', ') });
    }
    await next();
  };
}
