import type { Middleware } from 'koa';
import type { RequestState } from '../http/request-context.js';
import { basicAuth, type Credentials } from './basic-auth.js';
import { limitFailedLogins } from './limit-failed-logins.js';

export const ADMIN_REALM = 'order service administration';

/** The administrator's sign-in: its user name, and the middleware that checks it. */
export interface AdminSignIn {
  user: string;
  middleware: Middleware<RequestState>;
}

/**
 * The administrator's Basic sign-in, built once for every surface that takes it (the queue
 * board, the re-drives), so an address has one count of failed sign-ins across all of them.
 */
export function adminSignIn(credentials: Credentials): AdminSignIn {
  return {
    user: credentials.user,
    middleware: limitFailedLogins(basicAuth(credentials, ADMIN_REALM)),
  };
}
