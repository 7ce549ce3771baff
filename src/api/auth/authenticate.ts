import type { Middleware } from 'koa';
import { ProblemError, problem } from '../http/problem.js';
import type { RequestState } from '../http/request-context.js';
import { ANYONE, type Principal } from './access-rules.js';
import { AuthenticationError, type Authenticator } from './authenticator.js';

const REALM = 'orders';

export const UNAUTHENTICATED = problem({
  status: 401,
  slug: 'unauthenticated',
  title: 'Authentication required',
  detail: 'Send a valid bearer token: Authorization: Bearer <token>.',
});

export const AUTHENTICATION_UNAVAILABLE = problem({
  status: 503,
  slug: 'authentication-unavailable',
  title: 'Authentication unavailable',
  detail: 'The keys that verify tokens cannot be fetched right now; try again shortly.',
});

const BEARER = /^Bearer +([\x21-\x7e]+)$/i;

function challenge(error?: string, description?: string): Record<string, string> {
  const parts = [`Bearer realm="${REALM}"`];
  if (error !== undefined) parts.push(`error="${error}"`);
  // The reason is ours (see the authenticators), never the token's text.
  if (description !== undefined) parts.push(`error_description="${description}"`);
  return { 'WWW-Authenticate': parts.join(', ') };
}

/**
 * Establishes the caller (`ctx.state.principal`) from `Authorization: Bearer …` (RFC 6750),
 * or answers 401 with a challenge. Without an authenticator (AUTH_MODE=none) everyone is let
 * in as `ANYONE`, allowed everything, as before authentication existed.
 */
export function authenticate(
  authenticator: Authenticator | null,
): Middleware<RequestState & { principal: Principal }> {
  return async (ctx, next) => {
    if (authenticator === null) {
      ctx.state.principal = ANYONE;
      await next();
      return;
    }
    const header = ctx.get('Authorization');
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) {
      throw new ProblemError(
        UNAUTHENTICATED,
        header === '' ? challenge() : challenge('invalid_request', 'expected a bearer token'),
      );
    }
    try {
      ctx.state.principal = await authenticator.authenticate(token);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) {
        ctx.state.log.warn({ err: error }, 'could not verify a token');
        throw new ProblemError(AUTHENTICATION_UNAVAILABLE, { 'Retry-After': '5' });
      }
      ctx.state.log.info({ reason: error.reason, ip: ctx.ip }, 'token refused');
      throw new ProblemError(
        { ...UNAUTHENTICATED, detail: `Send a valid bearer token: ${error.reason}.` },
        challenge('invalid_token', error.reason),
      );
    }
    await next();
  };
}

/** 403 for a caller without the scope an operation needs (RFC 6750's insufficient_scope). */
export function insufficientScope(needed: string): ProblemError {
  return new ProblemError(
    problem({
      status: 403,
      slug: 'insufficient-scope',
      title: 'Insufficient scope',
      detail: `This needs the ${needed} scope.`,
    }),
    challenge('insufficient_scope'),
  );
}
