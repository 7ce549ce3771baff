import { Counter, Gauge, type Registry } from 'prom-client';

/** What the API counts beyond its HTTP metrics (see http-metrics). */
export interface ApiMetrics {
  /** A new order was stored and answered 202 (replays of an Idempotency-Key are not new). */
  orderAccepted(): void;
  /** A request was refused with 503: past its budget of requests in flight (see shed-load). */
  requestShed(): void;
  /** An operator re-drove a FAILED order that had failed with `failureCode`. */
  orderRedriven(failureCode: string): void;
  /** How many requests are held waiting (`Prefer: wait`) now. */
  longPollsWaiting(count: number): void;
  /** A fetch of the JWT signing keys (AUTH_JWKS_URL) failed; the keys held are kept. */
  keyFetchFailed(): void;
}

export function createApiMetrics(registry: Registry): ApiMetrics {
  const accepted = new Counter({
    name: 'orders_accepted_total',
    help: 'Orders stored as PENDING and answered 202 (Idempotency-Key replays excluded).',
    registers: [registry],
  });
  const shed = new Counter({
    name: 'http_requests_shed_total',
    help: 'Requests answered 503 at once: past their share of HTTP_MAX_IN_FLIGHT, or reads on a connection past HTTP_MAX_CONNECTIONS.',
    registers: [registry],
  });
  const redriven = new Counter({
    name: 'orders_redriven_total',
    help: 'FAILED orders an operator took back to PENDING, by the failure code they had.',
    labelNames: ['failure_code'],
    registers: [registry],
  });
  const keyFetchFailures = new Counter({
    name: 'auth_key_fetch_failures_total',
    help: 'Fetches of the JWT signing keys (AUTH_JWKS_URL) that failed; the keys held were kept.',
    registers: [registry],
  });
  const waiting = new Gauge({
    name: 'http_long_polls_waiting',
    help: 'Requests held waiting (Prefer: wait) on this instance; at most LONG_POLL_MAX_WAITERS.',
    registers: [registry],
  });
  return {
    longPollsWaiting: (count) => {
      waiting.set(count);
    },
    keyFetchFailed: () => {
      keyFetchFailures.inc();
    },
    orderRedriven: (failureCode) => {
      redriven.inc({ failure_code: failureCode });
    },
    orderAccepted: () => {
      accepted.inc();
    },
    requestShed: () => {
      shed.inc();
    },
  };
}
