import Router from '@koa/router';
import type { DependencyCheck } from './dependency-checks.js';
import { checkReadiness } from './readiness.js';

export interface HealthDependencies {
  checks: readonly DependencyCheck[];
  isStopping: () => boolean;
  /**
   * Whether readiness names each dependency with its error. Only on an operations port:
   * driver errors carry internal addresses, so the public answer is the status alone.
   */
  detailed: boolean;
}

const CHECK_TIMEOUT_MS = 1000;

/**
 * Liveness says the process runs (restart it if not). Readiness says whether it can do its
 * work now (send it traffic if so): 503 when a required dependency is down or the process is
 * stopping, 200 otherwise, naming every dependency and its state either way.
 */
export function healthRoutes(deps: HealthDependencies): Router {
  const router = new Router();
  router.get('/health/live', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/health/ready', async (ctx) => {
    const { status, checks } = await checkReadiness(deps.checks, CHECK_TIMEOUT_MS);
    const stopping = deps.isStopping();
    ctx.status = status === 'unavailable' || stopping ? 503 : 200;
    ctx.set('Cache-Control', 'no-store');
    const shown = stopping ? 'stopping' : status;
    ctx.body = deps.detailed ? { status: shown, checks } : { status: shown };
  });
  return router;
}
