import Koa, { type Middleware } from 'koa';
import type { DependencyCheck } from '../shared/observability/dependency-checks.js';
import { healthRoutes } from '../shared/observability/health-routes.js';
import type { Logger } from '../shared/observability/logger.js';
import type { ApiMetrics } from './api-metrics.js';
import type { Authenticator } from './auth/authenticator.js';
import { problemResponses } from './http/problem-responses.js';
import { refuseWhenStopping } from './http/refuse-when-stopping.js';
import { requestContext, type RequestState } from './http/request-context.js';
import { methodNotAllowed } from './http/method-not-allowed.js';
import { docsRoutes } from './openapi/docs-routes.js';
import { createOpenApiDocument, servedMethods } from './openapi/openapi-document.js';
import type { AcceptOrder } from './orders/accept-order-use-case.js';
import type { GetOrder } from './orders/get-order-use-case.js';
import type { ListOrders } from './orders/list-orders-use-case.js';
import { orderRoutes } from './orders/order-routes.js';
import { redriveRoutes, type RedriveRoutesDependencies } from './redrive/redrive-routes.js';

export interface AppDependencies {
  acceptOrder: AcceptOrder;
  getOrder: GetOrder;
  listOrders: ListOrders;
  bodyLimitBytes: number;
  /** What readiness reports; the required ones decide it. */
  readinessChecks: readonly DependencyCheck[];
  /** True once shutdown began: new requests are refused, readiness says "stopping". */
  isStopping: () => boolean;
  /** Times every request (httpMetrics); the operations server shares it. */
  measureHttp: Middleware;
  metrics: ApiMetrics;
  /** The queue dashboard, when administrator credentials are configured. */
  adminBoard: Middleware | null;
  /** The operators' re-drives; null when no operator can sign in (see authenticateOperator). */
  redrive: RedriveRoutesDependencies | null;
  /** Verifies callers of the order routes; null when authentication is off (AUTH_MODE=none). */
  authenticator: Authenticator | null;
  /** Behind a TLS proxy: take the client's address and scheme from X-Forwarded-* (TRUST_PROXY). */
  trustProxy: boolean;
  logger: Logger;
}

/**
 * The public HTTP API, built from its dependencies; main.ts wires the real ones, tests their
 * own. Metrics and detailed readiness are on the operations port instead (ops-http.ts).
 */
export function createApp(deps: AppDependencies): Koa<RequestState> {
  const app = new Koa<RequestState>();
  app.silent = true; // errors are logged once, by problemResponses, with their request context
  app.proxy = deps.trustProxy;
  // Only the last X-Forwarded-For entry is the proxy's own; those before it are whatever the
  // client sent, and trusting them would let it pick its address (and dodge sign-in limits).
  app.maxIpsCount = 1;

  const health = healthRoutes({
    checks: deps.readinessChecks,
    isStopping: deps.isStopping,
    detailed: false,
  });
  const document = createOpenApiDocument(); // built once, here at start-up
  const docs = docsRoutes(document);
  const orders = orderRoutes(deps);
  app.use(deps.measureHttp);
  app.use(requestContext(deps.logger));
  app.use(problemResponses());
  app.use(methodNotAllowed(servedMethods(document)));
  app.use(health.routes());
  app.use(docs.routes());
  app.use(refuseWhenStopping(deps.isStopping));
  if (deps.adminBoard !== null) app.use(deps.adminBoard);
  if (deps.redrive !== null) app.use(redriveRoutes(deps.redrive).routes());
  app.use(orders.routes());
  // Not thrown: the router then sets the Allow header, and problemResponses adds the body.
  app.use(orders.allowedMethods());
  return app;
}
