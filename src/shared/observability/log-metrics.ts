import { Counter, type Registry } from 'prom-client';
import type { LogOutput } from './logger.js';

/** `log_lines_dropped_total`: log lines lost because standard output could not keep up. */
export function countDroppedLogLines(registry: Registry, output: LogOutput): void {
  new Counter({
    name: 'log_lines_dropped_total',
    help: 'Log lines dropped because standard output could not keep up (its buffer was full).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(output.droppedLines());
    },
  });
}
