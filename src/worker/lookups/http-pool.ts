import { Agent } from 'undici';

/** What the runtime's fetch takes as `dispatcher`: an undici pool. */
export type HttpPool = NonNullable<RequestInit['dispatcher']>;

/**
 * The connections to one dependency: kept alive between calls (30 s idle), so a lookup
 * costs no TCP handshake once the pool is warm. Not capped per origin on purpose: a slow
 * resource (family-box answers after 60 s) holds its connections for as long, and a cap
 * would make calls for healthy resources of the same service queue behind them.
 */
export function createHttpPool(): HttpPool {
  const pool = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, pipelining: 1 });
  // The `undici` package (same major version as the runtime's fetch) and @types/node each
  // declare the Dispatcher class; the object is the one fetch expects.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  return pool;
}
