import type { Middleware } from 'koa';
import { ADMIN_REALM, type AdminSignIn } from '../admin/admin-sign-in.js';
import { SCOPES, type Principal } from '../auth/access-rules.js';
import { authenticate, insufficientScope } from '../auth/authenticate.js';
import type { Authenticator } from '../auth/authenticator.js';
import { ProblemError, problem } from '../http/problem.js';
import type { RequestState } from '../http/request-context.js';

/** What the administrator may do here. */
const OPERATOR_SCOPES: ReadonlySet<string> = new Set([SCOPES.redrive]);

export type OperatorState = RequestState & { principal: Principal; operator: string };

/**
 * Establishes the operator (`ctx.state.operator`, the name the history records) from either
 * the administrator's Basic sign-in (ADMIN_USER, with the queue board's count of failed
 * sign-ins) or, with authentication on, a bearer token or API key granted `orders:redrive`
 * (its client id). Null when neither is configured: nobody may act.
 */
export function authenticateOperator(options: {
  admin: AdminSignIn | null;
  authenticator: Authenticator | null;
}): Middleware<OperatorState> | null {
  const { admin, authenticator } = options;
  if (admin === null && authenticator === null) return null;
  const challenges = [
    ...(admin === null ? [] : [`Basic realm="${ADMIN_REALM}", charset="UTF-8"`]),
    ...(authenticator === null ? [] : ['Bearer realm="orders"']),
  ];
  const unauthorized = new ProblemError(
    problem({
      status: 401,
      slug: 'unauthorized',
      title: 'Unauthorized',
      detail: `This needs ${[
        ...(admin === null ? [] : ['the administrator user name and password']),
        ...(authenticator === null ? [] : [`a bearer token with ${SCOPES.redrive}`]),
      ].join(', or ')}.`,
    }),
    { 'WWW-Authenticate': challenges.join(', ') },
  );
  const bearer = authenticator === null ? null : authenticate(authenticator);

  return async (ctx, next) => {
    const scheme = /^(\S+)/.exec(ctx.get('Authorization'))?.[1]?.toLowerCase();
    if (scheme === 'basic' && admin !== null) {
      await admin.middleware(ctx, async () => {
        ctx.state.principal = { clientId: admin.user, subject: null, scopes: OPERATOR_SCOPES };
        ctx.state.operator = admin.user;
        await next();
      });
      return;
    }
    if (scheme === 'bearer' && bearer !== null) {
      await bearer(ctx, async () => {
        const { principal } = ctx.state;
        if (!principal.scopes.has(SCOPES.redrive)) throw insufficientScope(SCOPES.redrive);
        ctx.state.operator = principal.clientId ?? 'unknown';
        await next();
      });
      return;
    }
    throw unauthorized;
  };
}
