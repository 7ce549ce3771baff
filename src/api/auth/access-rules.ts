import type { Order } from '../../shared/domain/order.js';

/** What a caller may do with orders; a token's `scope` claim or an API key's list grants them. */
export const SCOPES = {
  /** Create orders for one's own subject. */
  write: 'orders:write',
  /** Create orders for any user (service to service). */
  writeAny: 'orders:write:any',
  /** Read and list one's own orders. */
  read: 'orders:read',
  /** Read and list every order (operators). */
  readAny: 'orders:read:any',
  /** Re-drive FAILED orders (operators). */
  redrive: 'orders:redrive',
} as const;

/** Who is calling, as authentication established it. */
export interface Principal {
  /**
   * The caller's stable id: a token's `sub`, or an API key's client id. Idempotency keys are
   * scoped by it. Null when authentication is off.
   */
  clientId: string | null;
  /** The user the caller acts as: its own orders are those with this `user_id`. */
  subject: string | null;
  scopes: ReadonlySet<string>;
}

/** The caller when authentication is off (AUTH_MODE=none): anyone, allowed everything. */
export const ANYONE: Principal = {
  clientId: null,
  subject: null,
  scopes: new Set(Object.values(SCOPES)),
};

const has = (principal: Principal, scope: string) => principal.scopes.has(scope);

export function mayCreateOrders(principal: Principal): boolean {
  return has(principal, SCOPES.write) || has(principal, SCOPES.writeAny);
}

export function mayReadOrders(principal: Principal): boolean {
  return has(principal, SCOPES.read) || has(principal, SCOPES.readAny);
}

/** Only `orders:write:any` may create an order for a user other than the caller's subject. */
export function mayCreateOrderFor(principal: Principal, userId: string): boolean {
  if (has(principal, SCOPES.writeAny)) return true;
  return has(principal, SCOPES.write) && principal.subject === userId;
}

export function mayRead(principal: Principal, order: Pick<Order, 'user_id'>): boolean {
  if (has(principal, SCOPES.readAny)) return true;
  return has(principal, SCOPES.read) && principal.subject === order.user_id;
}

/** Operators' names in an order's history are for operators: those who may read every order. */
export function maySeeOperators(principal: Principal): boolean {
  return has(principal, SCOPES.readAny);
}

/**
 * The `user_id` filter a listing runs with: the one asked for when the caller may read every
 * order; otherwise always the caller's own subject. Null when nothing asked for is visible
 * (another user's orders): the answer is an empty page, not a refusal that confirms they exist.
 */
export function visibleUserFilter(
  principal: Principal,
  askedUserId: string | undefined,
): { userId?: string } | null {
  if (has(principal, SCOPES.readAny))
    return askedUserId === undefined ? {} : { userId: askedUserId };
  if (principal.subject === null || !has(principal, SCOPES.read)) return null;
  if (askedUserId !== undefined && askedUserId !== principal.subject) return null;
  return { userId: principal.subject };
}
