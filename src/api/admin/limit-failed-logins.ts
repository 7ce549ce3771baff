import type { Middleware } from 'koa';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ProblemError, problem } from '../http/problem.js';
import type { RequestState } from '../http/request-context.js';

/** Failed sign-ins one client address may make per window before it is refused. */
export const MAX_FAILED_LOGINS = 10;
const WINDOW_SECONDS = 15 * 60;

const TOO_MANY_FAILED_LOGINS = problem({
  status: 429,
  slug: 'too-many-failed-logins',
  title: 'Too many failed sign-ins',
  detail: 'This address sent wrong administrator credentials too often; wait before trying again.',
});

/**
 * Wraps an authenticating middleware: each sign-in that carries credentials (a request
 * without any is only the browser asking for them) is counted for the client address before
 * it is checked, and given back when it succeeds, so a burst of guesses sent together cannot
 * slip past the count. A refused one is logged at warn with the address. Past
 * MAX_FAILED_LOGINS in 15 minutes that address gets 429 with Retry-After, right or wrong,
 * until the window ends. The address is ctx.ip: behind a proxy, TRUST_PROXY makes it the
 * client's (the proxy's own X-Forwarded-For entry). Counted in memory, per instance.
 */
export function limitFailedLogins(
  authenticate: Middleware<RequestState>,
): Middleware<RequestState> {
  const failures = new RateLimiterMemory({ points: MAX_FAILED_LOGINS, duration: WINDOW_SECONDS });
  const tooMany = (state: RateLimiterRes) =>
    new ProblemError(TOO_MANY_FAILED_LOGINS, {
      'Retry-After': String(Math.max(1, Math.ceil(state.msBeforeNext / 1000))),
    });
  return async (ctx, next) => {
    const address = ctx.ip;
    if (ctx.get('Authorization') === '') {
      const counted = await failures.get(address);
      if (counted !== null && counted.consumedPoints >= MAX_FAILED_LOGINS) throw tooMany(counted);
      await authenticate(ctx, next);
      return;
    }
    await failures.consume(address).catch((limit: unknown) => {
      throw limit instanceof RateLimiterRes ? tooMany(limit) : limit;
    });
    const attempt = { signedIn: false };
    try {
      await authenticate(ctx, async () => {
        attempt.signedIn = true;
        await failures.reward(address);
        await next();
      });
    } catch (error) {
      if (!attempt.signedIn && error instanceof ProblemError && error.problem.status === 401)
        ctx.state.log.warn({ ip: address, path: ctx.path }, 'administrator sign-in refused');
      throw error;
    }
  };
}
