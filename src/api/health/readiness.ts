import { setTimeout as sleep } from 'node:timers/promises';
import type { DependencyCheck } from '../../shared/observability/dependency-checks.js';

export type CheckResult = { status: 'up' } | { status: 'down'; error: string };

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

async function run(check: DependencyCheck, timeoutMs: number): Promise<CheckResult> {
  try {
    await Promise.race([
      check.check(),
      sleep(timeoutMs, undefined, { ref: false }).then(() => {
        throw new Error(`no answer within ${timeoutMs} ms`);
      }),
    ]);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: error instanceof Error ? error.message : String(error) };
  }
}

/** Asks every dependency at once; ready only when all answer within `timeoutMs`. */
export async function checkReadiness(
  checks: readonly DependencyCheck[],
  timeoutMs: number,
): Promise<Readiness> {
  const results = await Promise.all(checks.map((check) => run(check, timeoutMs)));
  return {
    ready: results.every((result) => result.status === 'up'),
    checks: Object.fromEntries(
      checks.map((check, index): [string, CheckResult] => [
        check.name,
        results[index] ?? { status: 'down', error: 'not checked' },
      ]),
    ),
  };
}
