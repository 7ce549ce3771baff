import { pino, type Logger } from 'pino';
import { activeTraceIds } from './trace-context.js';

export type { Logger };

export interface LogSettings {
  level: string;
  /** `json` (one object per line, for machines) or `pretty` (for people, in development). */
  format: 'json' | 'pretty';
}

/** Past this much unwritten output, new lines are dropped (and counted) instead of kept. */
const MAX_UNWRITTEN_BYTES = 4 * 1024 * 1024;

/** Where the JSON lines go, and how many were dropped because it could not keep up. */
export interface LogOutput {
  stream: pino.DestinationStream;
  droppedLines(): number;
}

/**
 * Standard output, written asynchronously with a bounded buffer. A reader that falls behind
 * (a busy log shipper, a full pipe) must neither stall the event loop, as a synchronous
 * write to a full pipe does, nor grow the heap until the process dies: it loses lines instead,
 * and `log_lines_dropped_total` says how many. pino flushes what is left when the process exits.
 */
export function createLogOutput(): LogOutput {
  let dropped = 0;
  const stream = pino.destination({ dest: 1, sync: false, maxLength: MAX_UNWRITTEN_BYTES });
  stream.on('drop', () => {
    dropped++;
  });
  return { stream, droppedLines: () => dropped };
}

export function createLogger(options: { name: string } & LogSettings, output: LogOutput): Logger {
  // A line written inside a traced step names its trace, so logs and traces join up.
  const settings = { name: options.name, level: options.level, mixin: activeTraceIds };
  // pino-pretty is a development dependency: the production image logs JSON only.
  if (options.format === 'pretty') {
    return pino({
      ...settings,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino(settings, output.stream);
}
