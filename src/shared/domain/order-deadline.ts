import type { Order, OrderFailure } from './order.js';

export const DEADLINE_EXCEEDED = 'DEADLINE_EXCEEDED';

/**
 * However a run ends (crash, lost job, outage), an accepted order may stay PENDING only until
 * its deadline; after that it is FAILED, so every client that got a 202 learns an outcome.
 */
export function deadlineOf(order: Pick<Order, 'created_at'>, deadlineMs: number): Date {
  return new Date(order.created_at.getTime() + deadlineMs);
}

export function isPastDeadline(
  order: Pick<Order, 'created_at'>,
  now: Date,
  deadlineMs: number,
): boolean {
  return now.getTime() >= deadlineOf(order, deadlineMs).getTime();
}

/** Milliseconds from `now` until the order's deadline; zero or less once it has passed. */
export function msUntilDeadline(
  order: Pick<Order, 'created_at'>,
  now: Date,
  deadlineMs: number,
): number {
  return deadlineOf(order, deadlineMs).getTime() - now.getTime();
}

export function deadlineFailure(
  order: Pick<Order, 'created_at'>,
  deadlineMs: number,
): OrderFailure {
  return {
    code: DEADLINE_EXCEEDED,
    message: `the order could not be processed within ${Math.round(deadlineMs / 1000)} s of being accepted (deadline ${deadlineOf(order, deadlineMs).toISOString()})`,
  };
}
