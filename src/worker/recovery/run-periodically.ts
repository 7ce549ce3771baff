import { setInterval as every } from 'node:timers/promises';
import type { Logger } from '../../shared/observability/logger.js';

/**
 * Runs a task every `intervalMs` until the signal aborts; a run that fails is logged and the
 * next one comes on schedule. Runs never overlap: the next tick waits for the current run.
 */
export async function runPeriodically(
  task: () => Promise<unknown>,
  options: { intervalMs: number; signal: AbortSignal; logger: Logger; name: string },
): Promise<void> {
  try {
    for await (const _tick of every(options.intervalMs, undefined, {
      signal: options.signal,
      ref: false,
    })) {
      await task().catch((error: unknown) => {
        options.logger.warn({ err: error, task: options.name }, 'periodic task failed');
      });
    }
  } catch (error) {
    if (!options.signal.aborted) throw error;
  }
}
