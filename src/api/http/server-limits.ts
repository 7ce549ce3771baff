import type { Server } from 'node:http';
import { MAX_WAIT_SECONDS } from './prefer-wait.js';

export interface ServerLimits {
  /**
   * Open connections at most; past it Node closes new ones at once (HTTP_MAX_CONNECTIONS).
   * Its default, 5,000, with HTTP_MAX_IN_FLIGHT at 3,000, kept the API's heap under 85 MB
   * (sampled twice a second) when 10,000 long-polls arrived, in eleven runs out of twelve; the
   * twelfth burst past a 96 MB cap, hence `npm start`'s 128 MB. At 8,000 and 4,000 a burst
   * ran it out of memory.
   */
  maxConnections: number;
}

/**
 * Bounds what clients can hold open: connections, time to send the headers, time for a whole
 * request (long enough for the longest long-poll), and idle keep-alive connections. Node's own
 * defaults leave connections unbounded and allow a request five minutes.
 */
export function limitServer(server: Server, limits: ServerLimits): void {
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = 10_000;
  server.requestTimeout = (MAX_WAIT_SECONDS + 30) * 1000;
  server.keepAliveTimeout = 5_000;
}
