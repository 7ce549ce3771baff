import { Agent } from 'undici';

/** The connections to one service: an undici pool the lookups send their requests over. */
export type HttpPool = Agent;

/**
 * The connections to one dependency: kept alive between calls (up to 10 s idle, less when
 * the server says so; a longer wait risks reusing a socket the server has just closed), so
 * a lookup costs no TCP handshake once the pool is warm. Not capped per origin on purpose: a slow
 * resource (family-box answers after 60 s) holds its connections for as long, and a cap
 * would make calls for healthy resources of the same service queue behind them.
 */
export function createHttpPool(): HttpPool {
  return new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 10_000, pipelining: 1 });
}
