import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { ProblemError, problem } from '../http/problem.js';

export interface Credentials {
  user: string;
  password: string;
}

const UNAUTHORIZED = problem({
  status: 401,
  slug: 'unauthorized',
  title: 'Unauthorized',
  detail: 'This page needs the administrator user name and password.',
});

/** Compares digests, so the time taken says nothing about how much of a secret matched. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function credentialsFrom(header: string): Credentials | null {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header);
  if (match?.[1] === undefined) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * HTTP Basic authentication (RFC 7617) for one administrator. Written here rather than taken
 * from a package: parsing the header is a few lines, and the part that matters, comparing in
 * constant time, is Node's own.
 */
export function basicAuth(expected: Credentials, realm: string): Middleware {
  return async (ctx, next) => {
    const given = credentialsFrom(ctx.get('Authorization'));
    const user = given !== null && sameSecret(given.user, expected.user);
    const password = given !== null && sameSecret(given.password, expected.password);
    if (!(user && password)) {
      throw new ProblemError(UNAUTHORIZED, {
        'WWW-Authenticate': `Basic realm="${realm}", charset="UTF-8"`,
      });
    }
    await next();
  };
}
