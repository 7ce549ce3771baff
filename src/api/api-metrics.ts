import { Counter, type Registry } from 'prom-client';

/** What the API counts beyond its HTTP metrics (see http-metrics). */
export interface ApiMetrics {
  /** A new order was stored and answered 202 (replays of an Idempotency-Key are not new). */
  orderAccepted(): void;
  /** A request was refused with 503 because too many were in flight (see shed-load). */
  requestShed(): void;
  /** An operator re-drove a FAILED order that had failed with `failureCode`. */
  orderRedriven(failureCode: string): void;
}

export function createApiMetrics(registry: Registry): ApiMetrics {
  const accepted = new Counter({
    name: 'orders_accepted_total',
    help: 'Orders stored as PENDING and answered 202 (Idempotency-Key replays excluded).',
    registers: [registry],
  });
  const shed = new Counter({
    name: 'http_requests_shed_total',
    help: 'Requests answered 503 at once because HTTP_MAX_IN_FLIGHT requests were in flight.',
    registers: [registry],
  });
  const redriven = new Counter({
    name: 'orders_redriven_total',
    help: 'FAILED orders an operator took back to PENDING, by the failure code they had.',
    labelNames: ['failure_code'],
    registers: [registry],
  });
  return {
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
