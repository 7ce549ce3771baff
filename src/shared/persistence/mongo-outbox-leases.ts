import type { EventLease, OutboxEvent } from '../domain/order.js';

// The lease rules behind the MongoDB outbox's claims (see createMongoOutboxStore). A lease is
// numbered by its generation, and each generation is granted once: the holder of the newest
// one may publish the event until it expires.

/** The lease a relay's claim asks for: the generation after the event's, from now. */
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
 * writes, or a lost update on a server without atomic conditional updates, as FerretDB 1.x).
 * The next relay claims the generation after it, so an event is never blocked by a claim
 * nobody acts on.
 */
export function isAbandoned(claim: LeaseClaim, now: Date, leaseMs: number): boolean {
  return claim.claimed_at.getTime() + leaseMs <= now.getTime();
}

/** The lease that takes over from an abandoned claim. */
export function leaseAfter(claim: LeaseClaim, now: Date, leaseMs: number): EventLease {
  return { generation: claim.generation + 1, expires_at: new Date(now.getTime() + leaseMs) };
}
