import { Agent } from 'undici';

/** What the runtime's fetch takes as `dispatcher`: an undici pool. */
export type HttpPool = NonNullable<RequestInit['dispatcher']>;

/**
 * The connections to one dependency: kept alive between calls (up to 10 s idle, less when
 * the server says so; a longer wait risks reusing a socket the server has just closed), so
 * a lookup costs no TCP handshake once the pool is warm. Not capped per origin on purpose: a slow
 * resource (family-box answers after 60 s) holds its connections for as long, and a cap
 * would make calls for healthy resources of the same service queue behind them.
 */
export function createHttpPool(): HttpPool {
  const pool = new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 10_000, pipelining: 1 });
  // The runtime's fetch is built on undici too and takes any undici dispatcher; the
  // `undici` package and @types/node each declare the Dispatcher class, hence the cast.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  return pool;
}
