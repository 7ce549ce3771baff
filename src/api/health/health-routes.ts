import Router from '@koa/router';
import type { DependencyCheck } from '../../shared/observability/dependency-checks.js';
import { checkReadiness } from './readiness.js';

export interface HealthDependencies {
  checks: readonly DependencyCheck[];
  isStopping: () => boolean;
}

const CHECK_TIMEOUT_MS = 1000;

/**
 * Liveness says the process runs (restart it if not); readiness says it can take orders
 * now (send it traffic if so), naming each dependency that is down.
 */
export function healthRoutes(deps: HealthDependencies): Router {
  const router = new Router();
  router.get('/health/live', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/health/ready', async (ctx) => {
    const { ready, checks } = await checkReadiness(deps.checks, CHECK_TIMEOUT_MS);
    const stopping = deps.isStopping();
    ctx.status = ready && !stopping ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: stopping ? 'stopping' : ready ? 'ready' : 'unavailable', checks };
  });
  return router;
}
