import type { Middleware } from 'koa';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ProblemError, problem } from '../http/problem.js';
import type { RequestState } from '../http/request-context.js';

/** Failed sign-ins one client address may make per window before it is refused. */
export const MAX_FAILED_LOGINS = 10;
const WINDOW_SECONDS = 15 * 60;

const TOO_MANY_FAILED_LOGINS = problem(
  429,
  'too-many-failed-logins',
  'Too many failed sign-ins',
  'This address sent wrong administrator credentials too often; wait before trying again.',
);

/**
 * Wraps an authenticating middleware: each refused sign-in that carried credentials (a
 * request without any is only the browser asking for them) is logged at warn with the client
 * address and counted for it; past MAX_FAILED_LOGINS in 15 minutes that address gets 429 with
 * Retry-After, right or wrong, until the window ends. The address is ctx.ip: behind a proxy,
 * TRUST_PROXY makes it the client's. Counted in memory, per instance.
 */
export function limitFailedLogins(
  authenticate: Middleware<RequestState>,
): Middleware<RequestState> {
  const failures = new RateLimiterMemory({ points: MAX_FAILED_LOGINS, duration: WINDOW_SECONDS });
  return async (ctx, next) => {
    const address = ctx.ip;
    const counted = await failures.get(address);
    if (counted !== null && counted.consumedPoints >= MAX_FAILED_LOGINS) {
      throw new ProblemError(TOO_MANY_FAILED_LOGINS, {
        'Retry-After': String(Math.max(1, Math.ceil(counted.msBeforeNext / 1000))),
      });
    }
    try {
      await authenticate(ctx, next);
    } catch (error) {
      const refused = error instanceof ProblemError && error.problem.status === 401;
      if (refused && ctx.get('Authorization') !== '') {
        ctx.state.log.warn({ ip: address, path: ctx.path }, 'administrator sign-in refused');
        await failures.consume(address).catch((limit: unknown) => {
          if (!(limit instanceof RateLimiterRes)) throw limit; // over the limit: counted already
        });
      }
      throw error;
    }
  };
}
