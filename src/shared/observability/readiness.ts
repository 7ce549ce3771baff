import { setTimeout as sleep } from 'node:timers/promises';
import type { DependencyCheck } from './dependency-checks.js';

export type CheckResult = { required: boolean } & (
  { status: 'up'; warning?: string } | { status: 'down'; error: string }
);

/**
 * ready: everything answers. degraded: only dependencies the process copes without are down;
 * it still does its work (and stays in rotation). unavailable: a required one is down.
 */
export type ReadinessStatus = 'ready' | 'degraded' | 'unavailable';

export interface Readiness {
  status: ReadinessStatus;
  checks: Record<string, CheckResult>;
}

async function run(check: DependencyCheck, timeoutMs: number): Promise<CheckResult> {
  try {
    const warning = await Promise.race([
      check.check().then(() => check.warning?.() ?? null),
      sleep(timeoutMs, undefined, { ref: false }).then(() => {
        throw new Error(`no answer within ${timeoutMs} ms`);
      }),
    ]);
    return { required: check.required, status: 'up', ...(warning === null ? {} : { warning }) };
  } catch (error) {
    return {
      required: check.required,
      status: 'down',
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

export function readinessStatus(results: readonly CheckResult[]): ReadinessStatus {
  const down = results.filter((result) => result.status === 'down');
  if (down.some((result) => result.required)) return 'unavailable';
  return down.length > 0 ? 'degraded' : 'ready';
}

/** Asks every dependency at once; each must answer within `timeoutMs`. */
export async function checkReadiness(
  checks: readonly DependencyCheck[],
  timeoutMs: number,
): Promise<Readiness> {
  const results = await Promise.all(checks.map((check) => run(check, timeoutMs)));
  return {
    status: readinessStatus(results),
    checks: Object.fromEntries(
      checks.map((check, index): [string, CheckResult] => [
        check.name,
        results[index] ?? { required: check.required, status: 'down', error: 'not checked' },
      ]),
    ),
  };
}
