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
 * - service-down: the breaker of the whole service refused the call: it could not be reached
 *   for everyone lately. Asking for this resource says nothing about the resource.
 * - saturated: this worker already has `limit` calls to the service in flight (its bulkhead),
 *   so the call was not made. Nothing is known about the resource or the service.
 */
export type LookupFailure =
  | { dependency: Dependency; resource: string; cause: 'not-found' }
  | { dependency: Dependency; resource: string; cause: 'invalid-response'; detail: string }
  | { dependency: Dependency; resource: string; cause: 'http-error'; status: number }
  | {
      dependency: Dependency;
      resource: string;
      cause: 'timeout';
      timeoutMs: number;
      patient: boolean;
    }
  | { dependency: Dependency; resource: string; cause: 'unreachable'; detail: string }
  | { dependency: Dependency; resource: string; cause: 'circuit-open'; lastFailure: string }
  | { dependency: Dependency; resource: string; cause: 'service-down'; lastFailure: string }
  | { dependency: Dependency; resource: string; cause: 'saturated'; limit: number };

/** A missing user or product will not appear by asking again; a garbled answer is a bug there. */
export function isRetryable(failure: LookupFailure): boolean {
  return failure.cause !== 'not-found' && failure.cause !== 'invalid-response';
}

const isPatientTimeout = (failure: LookupFailure) => failure.cause === 'timeout' && failure.patient;

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

export function describeFailure(failure: LookupFailure): string {
  const what = `${failure.dependency} ${failure.resource}`;
  switch (failure.cause) {
    case 'not-found':
      return `the ${failure.dependency} service has no ${what}`;
    case 'invalid-response':
      return `the ${failure.dependency} service answered for ${what} with an unusable body: ${failure.detail}`;
    case 'http-error':
      return `the ${failure.dependency} service answered HTTP ${failure.status} for ${what}`;
    case 'timeout':
      return `the ${failure.dependency} service did not answer for ${what} within ${failure.timeoutMs} ms`;
    case 'unreachable':
      return `the ${failure.dependency} service could not be reached for ${what}: ${failure.detail}`;
    case 'circuit-open':
      return `calls to the ${failure.dependency} service for ${what} are suspended after repeated failures (last: ${failure.lastFailure})`;
    case 'service-down':
      return `the ${failure.dependency} service is down for everyone; ${what} waits for it (last: ${failure.lastFailure})`;
    case 'saturated':
      return `${failure.limit} calls to the ${failure.dependency} service are already in flight; ${what} waits for a free one`;
  }
}

/**
 * What an order waits for without spending an attempt: a service that is down for everyone to
 * come back (its breaker's reset time), or a free place in a service's bulkhead (soon).
 */
export type WaitFor = 'service' | 'capacity';

export type LookupDecision =
  | { action: 'retry'; reason: string }
  | { action: 'wait'; for: WaitFor; reason: string }
  | { action: 'fail'; failure: OrderFailure };

/**
 * What to do with an order whose lookups failed: fail it at once when a failure is final;
 * wait, without spending an attempt, while a service is down for everyone or this worker's
 * calls to it are at their limit (the order deadline still bounds the wait); fail it when this
 * was its last attempt; retry otherwise.
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
  if (attempt.isLast) {
    return {
      action: 'fail',
      failure: { code: failureCode(failures[0]), message: `${reason} (retries exhausted)` },
    };
  }
  return { action: 'retry', reason };
}
