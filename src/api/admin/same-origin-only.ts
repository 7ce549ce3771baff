import type { Middleware } from 'koa';
import { ProblemError, problem } from '../http/problem.js';

const CROSS_SITE = problem({
  status: 403,
  slug: 'cross-site-request',
  title: 'Cross-site request refused',
  detail: 'Changes through the administration pages must come from those pages.',
});

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Browsers send remembered Basic credentials with requests that other sites start, so a
 * page elsewhere could post to the board's API (retry, remove or add jobs). Changes are
 * taken only when the browser says they come from this origin (Sec-Fetch-Site, or failing
 * that Origin); clients that send neither header (curl, scripts) are not browsers and pass.
 */
export function sameOriginOnly(): Middleware {
  return async (ctx, next) => {
    if (!SAFE_METHODS.has(ctx.method)) {
      const fetchSite = ctx.get('Sec-Fetch-Site');
      const origin = ctx.get('Origin');
      const crossSite =
        fetchSite !== ''
          ? fetchSite !== 'same-origin'
          : origin !== '' && origin !== `${ctx.protocol}://${ctx.host}`;
      if (crossSite) throw new ProblemError(CROSS_SITE);
    }
    await next();
  };
}
