import type { Order, OrderFailure } from './order.js';

export const DEADLINE_EXCEEDED = 'DEADLINE_EXCEEDED';

/** What an order's deadline is reckoned from: its acceptance, or its latest re-drive. */
export type DeadlineStart = Pick<Order, 'created_at'> & Partial<Pick<Order, 'redriven_at'>>;

/**
 * However a run ends (crash, lost job, outage), an accepted order may stay PENDING only until
 * its deadline; after that it is FAILED, so every client that got a 202 learns an outcome.
 * A re-drive gives the order a whole deadline again, from the moment it was re-driven.
 */
export function deadlineOf(order: DeadlineStart, deadlineMs: number): Date {
  return new Date((order.redriven_at ?? order.created_at).getTime() + deadlineMs);
}

export function isPastDeadline(order: DeadlineStart, now: Date, deadlineMs: number): boolean {
  return now.getTime() >= deadlineOf(order, deadlineMs).getTime();
}

/** Milliseconds from `now` until the order's deadline; zero or less once it has passed. */
export function msUntilDeadline(order: DeadlineStart, now: Date, deadlineMs: number): number {
  return deadlineOf(order, deadlineMs).getTime() - now.getTime();
}

export function deadlineFailure(order: DeadlineStart, deadlineMs: number): OrderFailure {
  return {
    code: DEADLINE_EXCEEDED,
    message: `the order could not be processed within ${Math.round(deadlineMs / 1000)} s of being ${order.redriven_at == null ? 'accepted' : 're-driven'} (deadline ${deadlineOf(order, deadlineMs).toISOString()})`,
  };
}
