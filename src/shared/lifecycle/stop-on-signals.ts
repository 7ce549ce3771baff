import type { Logger } from '../observability/logger.js';

/**
 * Runs `stop` once on SIGTERM or SIGINT (a second signal while stopping is ignored), then
 * exits: 0 after a clean stop, 1 when stopping failed.
 */
export function stopOnSignals(stop: (signal: string) => Promise<void>, logger: Logger): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stop(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'unclean stop');
          process.exit(1);
        },
      );
    });
  }
}
