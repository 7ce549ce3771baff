import {
  describeFailure,
  failureCode,
  type Dependency,
  type LookupFailure,
} from './lookup-failure.js';
import type { OrderFailure, OrderStatus } from './order.js';

/** Entries an order keeps at most; older ones give way to newer ones. */
export const HISTORY_LIMIT = 50;

/** Who moved an order: the API (accepting it), the worker, its deadline, or an operator. */
export type StateChanger = 'api' | 'worker' | 'deadline' | 'operator';

/** One call to the user or product service, as one attempt of the order's job made it. */
export interface LookupEntry {
  type: 'lookup';
  /** When the call began. */
  at: Date;
  /** The job attempt it belonged to: 1 for the first. */
  attempt: number;
  dependency: Dependency;
  /** The user id or product code asked for. */
  resource: string;
  outcome: 'found' | 'failed';
  duration_ms: number;
  /** For a failed call: its code (`USER_SERVICE_ERROR`, …) and what happened, for people. */
  failure_code?: string;
  message?: string;
  /** The status the service answered with, when it answered with an error status. */
  http_status?: number;
}

/** A change of the order's status, and who made it. */
export interface StateEntry {
  type: 'state';
  at: Date;
  /** Null for the order's first state, when it was accepted. */
  from: OrderStatus | null;
  to: OrderStatus;
  by: StateChanger;
  /** The job attempt that made it (the worker's and the deadline's, when a run noticed it). */
  attempt?: number;
  failure_code?: string;
  /** The operator who re-drove the order, as authentication named them. */
  operator?: string;
  /** The re-drive generation the order entered (1 for its first re-drive). */
  generation?: number;
}

export type HistoryEntry = LookupEntry | StateEntry;

/** The order's history with `entries` added at the end, keeping the newest HISTORY_LIMIT. */
export function appendToHistory(
  history: readonly HistoryEntry[],
  entries: readonly HistoryEntry[],
): HistoryEntry[] {
  return [...history, ...entries].slice(-HISTORY_LIMIT);
}

/** One call: found when there is no `failure`, failed as it says (see lookup-failure) otherwise. */
export function lookupEntry(
  call: { dependency: Dependency; resource: string; at: Date; durationMs: number },
  attempt: number,
  failure?: LookupFailure,
): LookupEntry {
  const entry: LookupEntry = {
    type: 'lookup',
    at: call.at,
    attempt,
    dependency: call.dependency,
    resource: call.resource,
    outcome: failure === undefined ? 'found' : 'failed',
    duration_ms: call.durationMs,
  };
  if (failure === undefined) return entry;
  return {
    ...entry,
    failure_code: failureCode(failure),
    message: describeFailure(failure),
    ...(failure.cause === 'http-error' ? { http_status: failure.status } : {}),
  };
}

/** The order's first state: PENDING, as the API accepted it. */
export function acceptedEntry(at: Date): StateEntry {
  return { type: 'state', at, from: null, to: 'PENDING', by: 'api' };
}

/** A PENDING order settled by a run (`attempt`) or by the recovery sweep (no attempt). */
export function settledEntry(
  at: Date,
  change: {
    to: 'CONFIRMED' | 'FAILED';
    by: 'worker' | 'deadline';
    attempt?: number;
    failure?: OrderFailure;
  },
): StateEntry {
  return {
    type: 'state',
    at,
    from: 'PENDING',
    to: change.to,
    by: change.by,
    ...(change.attempt === undefined ? {} : { attempt: change.attempt }),
    ...(change.failure === undefined ? {} : { failure_code: change.failure.code }),
  };
}

/** A FAILED order taken back to PENDING by an operator, into `generation`. */
export function redrivenEntry(at: Date, operator: string, generation: number): StateEntry {
  return { type: 'state', at, from: 'FAILED', to: 'PENDING', by: 'operator', operator, generation };
}
