import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../observability/logger.js';

export interface PeriodicOptions {
  intervalMs: number;
  /** After failures the wait doubles, up to this (default: no backoff). */
  maxBackoffMs?: number;
  signal: AbortSignal;
  logger: Logger;
  name: string;
}

/**
 * Runs a task every `intervalMs` until the signal aborts. A run that fails is logged and the
 * next waits longer (a dependency that is down is not hammered); a success resets the wait.
 * Runs never overlap: the next wait starts when the current run ends.
 */
export async function runPeriodically(
  task: () => Promise<unknown>,
  options: PeriodicOptions,
): Promise<void> {
  const { intervalMs, signal, logger, name } = options;
  const maxBackoffMs = Math.max(options.maxBackoffMs ?? intervalMs, intervalMs);
  let failures = 0;
  while (!signal.aborted) {
    const waitMs = Math.min(intervalMs * 2 ** failures, maxBackoffMs);
    try {
      await sleep(waitMs, undefined, { signal, ref: false });
    } catch {
      return; // aborted while waiting
    }
    try {
      await task();
      failures = 0;
    } catch (error) {
      failures = Math.min(failures + 1, 30);
      logger.warn({ err: error, task: name, failures }, 'periodic task failed, backing off');
    }
  }
}
