import type { EventLease } from './order.js';

/**
 * The lease the settling run holds on its own event: it publishes right after settling, and
 * until the lease ends no relay does.
 */
export function firstLease(now: Date, leaseMs: number): EventLease {
  return { generation: 1, expires_at: new Date(now.getTime() + leaseMs) };
}
