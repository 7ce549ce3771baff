import type { EventLease, OutboxEvent } from './order.js';

/** The lease the confirming run holds on its own event: it publishes right after settling. */
export function firstLease(now: Date, leaseMs: number): EventLease {
  return { generation: 1, expires_at: new Date(now.getTime() + leaseMs) };
}

/** The lease a relay asks for when it takes over an event. */
export function nextLease(event: OutboxEvent, now: Date, leaseMs: number): EventLease {
  return { generation: event.lease.generation + 1, expires_at: new Date(now.getTime() + leaseMs) };
}

/**
 * The holder of a lease starts a publish only while at least half of it is left, so a slow
 * publish is unlikely to outlast the lease and overlap with the relay's.
 */
export function hasTimeToPublish(lease: EventLease, now: Date, leaseMs: number): boolean {
  return lease.expires_at.getTime() - now.getTime() >= leaseMs / 2;
}

/** A granted lease generation, as recorded when it was claimed. */
export interface LeaseClaim {
  generation: number;
  claimed_at: Date;
}

/**
 * A claim whose holder had a whole lease time and still left the event up for relay was
 * abandoned: the holder died, or its lease never reached the order (a crash between the two
 * writes, or a lost update on a server without atomic updates). The next relay claims the
 * generation after it, so an event is never blocked by a claim nobody acts on.
 */
export function isAbandoned(claim: LeaseClaim, now: Date, leaseMs: number): boolean {
  return claim.claimed_at.getTime() + leaseMs <= now.getTime();
}

/** The lease that takes over from an abandoned claim. */
export function leaseAfter(claim: LeaseClaim, now: Date, leaseMs: number): EventLease {
  return { generation: claim.generation + 1, expires_at: new Date(now.getTime() + leaseMs) };
}
