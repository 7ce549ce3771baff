import { Counter, type Registry } from 'prom-client';
import {
  createLogOutput,
  createLogger,
  type LogOutput,
  type LogSettings,
  type Logger,
} from './logger.js';

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

/** A process's own log: JSON lines on standard output, with its dropped lines counted. */
export function createProcessLogger(
  name: string,
  settings: LogSettings,
  registry: Registry,
): Logger {
  const output = createLogOutput();
  countDroppedLogLines(registry, output);
  return createLogger({ name, ...settings }, output);
}
