import type { OrderFailure } from './order.js';

export type Dependency = 'user' | 'product';

/**
 * Why a lookup in the user or product service did not give an answer we can use.
 * - not-found: the service says the user or product does not exist (HTTP 404).
 * - invalid-response: it answered 2xx, but not with the JSON we need.
 * - http-error: any other status (5xx above all).
 * - timeout: no answer within the attempt's time limit; `patient` says whether that limit
 *   was already the long one (a short first attempt timing out only means "slow").
 * - unreachable: the connection failed.
 * - circuit-open: the breaker for this resource refused the call after repeated failures.
 *   An http-error or a circuit-open failure is `intermittent` when the resource answered other
 *   calls lately (see answeredLately): then it says nothing about this order.
 * - service-down: the breaker of the whole service refused the call: it could not be reached
 *   for everyone lately. Asking for this resource says nothing about the resource.
 * - saturated: this worker already has `limit` calls to the service in flight (its bulkhead),
 *   so the call was not made. Nothing is known about the resource or the service.
 */
export type LookupFailure =
  | { dependency: Dependency; resource: string; cause: 'not-found' }
  | { dependency: Dependency; resource: string; cause: 'invalid-response'; detail: string }
  | {
      dependency: Dependency;
      resource: string;
      cause: 'http-error';
      status: number;
      intermittent?: boolean;
    }
  | {
      dependency: Dependency;
      resource: string;
      cause: 'timeout';
      timeoutMs: number;
      patient: boolean;
    }
  | { dependency: Dependency; resource: string; cause: 'unreachable'; detail: string }
  | {
      dependency: Dependency;
      resource: string;
      cause: 'circuit-open';
      lastFailure: string;
      intermittent?: boolean;
    }
  | { dependency: Dependency; resource: string; cause: 'service-down'; lastFailure: string }
  | { dependency: Dependency; resource: string; cause: 'saturated'; limit: number };

/** A missing user or product will not appear by asking again; a garbled answer is a bug there. */
export function isRetryable(failure: LookupFailure): boolean {
  return failure.cause !== 'not-found' && failure.cause !== 'invalid-response';
}

const isPatientTimeout = (failure: LookupFailure) => failure.cause === 'timeout' && failure.patient;

/**
 * Failures of calls that were never made: a breaker or a bulkhead refused them. They tell
 * nothing about the resource, so an order's history need not keep them when it only waits.
 */
export function isRefusal(failure: LookupFailure): boolean {
  return (
    failure.cause === 'circuit-open' ||
    failure.cause === 'service-down' ||
    failure.cause === 'saturated'
  );
}

/**
 * Only failures that say "this resource is broken" open its breaker. A 404 or a bad body is
 * an answer, not an outage, and a short first attempt that timed out says "slow", not "down".
 * A service that cannot be reached is down for every resource: that is its own breaker's.
 */
export function countsAgainstBreaker(failure: LookupFailure): boolean {
  return failure.cause === 'http-error' || isPatientTimeout(failure);
}

/**
 * Failures that say "the whole service is away", which open the service's breaker: it could
 * not be reached, or even a patient attempt got no answer. An error status or a bad body
 * concerns one resource (veggie-box answers 500 while classic-box works).
 */
export function countsAgainstService(failure: LookupFailure): boolean {
  return failure.cause === 'unreachable' || isPatientTimeout(failure);
}

export function failureCode(failure: LookupFailure): string {
  const service = failure.dependency.toUpperCase();
  switch (failure.cause) {
    case 'not-found':
      return `${service}_NOT_FOUND`;
    case 'invalid-response':
      return `${service}_SERVICE_INVALID_RESPONSE`;
    case 'http-error':
      return `${service}_SERVICE_ERROR`;
    case 'timeout':
      return `${service}_SERVICE_TIMEOUT`;
    case 'unreachable':
      return `${service}_SERVICE_UNREACHABLE`;
    case 'circuit-open':
      return `${service}_SERVICE_CIRCUIT_OPEN`;
    case 'service-down':
      return `${service}_SERVICE_DOWN`;
    case 'saturated':
      return `${service}_SERVICE_SATURATED`;
  }
}

const lately = (failure: { intermittent?: boolean }) =>
  failure.intermittent === true ? ', though it answered other calls lately' : '';

export function describeFailure(failure: LookupFailure): string {
  const what = `${failure.dependency} ${failure.resource}`;
  switch (failure.cause) {
    case 'not-found':
      return `the ${failure.dependency} service has no ${what}`;
    case 'invalid-response':
      return `the ${failure.dependency} service answered for ${what} with an unusable body: ${failure.detail}`;
    case 'http-error':
      return `the ${failure.dependency} service answered HTTP ${failure.status} for ${what}${lately(failure)}`;
    case 'timeout':
      return `the ${failure.dependency} service did not answer for ${what} within ${failure.timeoutMs} ms`;
    case 'unreachable':
      return `the ${failure.dependency} service could not be reached for ${what}: ${failure.detail}`;
    case 'circuit-open':
      return `calls to the ${failure.dependency} service for ${what} are suspended after repeated failures (last: ${failure.lastFailure})${lately(failure)}`;
    case 'service-down':
      return `the ${failure.dependency} service is down for everyone; ${what} waits for it (last: ${failure.lastFailure})`;
    case 'saturated':
      return `${failure.limit} calls to the ${failure.dependency} service are already in flight; ${what} waits for a free one`;
  }
}

/**
 * How many breaker reset times (or rolling windows, whichever is longer) a resource's last
 * successful answer vouches for it. Long enough that a resource answering half of its calls
 * is not taken for broken while its breaker opens and its half-open trials fail a few times
 * in a row (each in two); short enough that one that broke for good loses the benefit of the
 * doubt within about a minute.
 */
export const ANSWERED_LATELY_FACTOR = 6;

/** How long a successful answer vouches for its resource, from a breaker's timings. */
export function answeredLatelyHorizonMs(breaker: {
  resetTimeoutMs: number;
  rollingWindowMs: number;
}): number {
  return ANSWERED_LATELY_FACTOR * Math.max(breaker.resetTimeoutMs, breaker.rollingWindowMs);
}

/** Whether a resource answered successfully within `horizonMs` before `now`. */
export function answeredLately(
  lastSuccessAt: number | undefined,
  now: number,
  horizonMs: number,
): boolean {
  return lastSuccessAt !== undefined && now - lastSuccessAt <= horizonMs;
}

/**
 * The failure as seen by a resource's breaker, which knows whether the resource answered
 * lately: an error status, or a refusal by its breaker, of a resource that answers other calls
 * is intermittent. Other causes are not one resource's to judge (a timeout says "slow", a
 * connection failure or a full bulkhead concerns the service): they are left as they are.
 */
export function withRecentAnswers(failure: LookupFailure, lately: boolean): LookupFailure {
  if (failure.cause !== 'http-error' && failure.cause !== 'circuit-open') return failure;
  return lately ? { ...failure, intermittent: true } : failure;
}

const isIntermittent = (failure: LookupFailure) =>
  (failure.cause === 'http-error' || failure.cause === 'circuit-open') &&
  failure.intermittent === true;

/**
 * What an order waits for without spending an attempt: a service that is down for everyone to
 * come back (its breaker's reset time), a free place in a service's bulkhead (soon), or
 * another answer from a resource that answers some calls and failed this one (soon too).
 */
export type WaitFor = 'service' | 'capacity' | 'resource';

export type LookupDecision =
  | { action: 'retry'; reason: string }
  | { action: 'wait'; for: WaitFor; reason: string }
  | { action: 'fail'; failure: OrderFailure };

/**
 * What to do with an order whose lookups failed: fail it at once when a failure is final;
 * wait, without spending an attempt, while a service is down for everyone or this worker's
 * calls to it are at their limit, or when every failure is intermittent (a resource that
 * answers other calls, or its breaker's refusal: nothing about this order); the order deadline
 * still bounds the wait. Otherwise the failure is evidence: fail the order when this was its
 * last attempt, retry it otherwise.
 */
export function decideAfterLookupFailures(
  failures: readonly [LookupFailure, ...LookupFailure[]],
  attempt: { isLast: boolean },
): LookupDecision {
  const final = failures.find((failure) => !isRetryable(failure));
  const reason = failures.map(describeFailure).join('; ');
  if (final !== undefined) {
    return { action: 'fail', failure: { code: failureCode(final), message: reason } };
  }
  if (failures.some((failure) => failure.cause === 'service-down'))
    return { action: 'wait', for: 'service', reason };
  if (failures.some((failure) => failure.cause === 'saturated'))
    return { action: 'wait', for: 'capacity', reason };
  if (failures.every(isIntermittent)) return { action: 'wait', for: 'resource', reason };
  if (attempt.isLast) {
    return {
      action: 'fail',
      failure: { code: failureCode(failures[0]), message: `${reason} (retries exhausted)` },
    };
  }
  return { action: 'retry', reason };
}
