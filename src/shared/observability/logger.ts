import { pino, type Logger } from 'pino';

export type { Logger };

export interface LogSettings {
  level: string;
  /** `json` (one object per line, for machines) or `pretty` (for people, in development). */
  format: 'json' | 'pretty';
}

export function createLogger(options: { name: string } & LogSettings): Logger {
  return pino({
    name: options.name,
    level: options.level,
    // pino-pretty is a development dependency: the production image logs JSON only.
    ...(options.format === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  });
}
