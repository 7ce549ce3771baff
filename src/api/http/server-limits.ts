import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { MAX_WAIT_SECONDS } from './prefer-wait.js';

export interface ServerLimits {
  /**
   * Connections carrying requests at most (HTTP_MAX_CONNECTIONS). A connection counts from its
   * first request: one that sends nothing costs a socket, not a place, and is closed once the
   * headers time is over. A read on a connection that came past the cap is answered 503
   * `/problems/overloaded` with `Connection: close` (see shed-load), so every client gets an
   * HTTP answer instead of a reset; writes are not refused for it (their own budget bounds
   * them). Node itself drops connections only past three times as many.
   *
   * The default, 5,000, with HTTP_MAX_IN_FLIGHT at 3,000: when 10,000 long-polls arrive
   * together the API's heap stays under `npm start`'s 160 MB cap (see the chaos flood).
   */
  maxConnections: number;
  /**
   * How long a connection may take to send a request's headers, the first byte included
   * (10 s unless given). A connection silent that long is closed.
   */
  headersTimeoutMs?: number;
}

const HARD_LIMIT_FACTOR = 3;
const HEADERS_TIMEOUT_MS = 10_000;

/** An HTTP server bounded in what clients can hold open, and how it tells who came too late. */
export interface LimitedServer {
  server: Server;
  /** Whether a request came on a connection that found the cap full: reads on it are refused. */
  overConnectionCap: (request: IncomingMessage) => boolean;
}

/**
 * An HTTP server that bounds what clients can hold open: connections, time to send the
 * headers (from the connection's first byte on, so silent connections are closed too), time
 * for a whole request (long enough for the longest long-poll), and idle keep-alive
 * connections. Node's own defaults leave connections unbounded, check the headers time only
 * every 30 s and allow a request five minutes.
 */
export function createLimitedServer(limits: ServerLimits): LimitedServer {
  const headersTimeout = limits.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  // Node closes connections past their headers time when it checks, this often.
  const server = createServer({ connectionsCheckingInterval: Math.min(1000, headersTimeout) });
  server.headersTimeout = headersTimeout;
  server.requestTimeout = (MAX_WAIT_SECONDS + 30) * 1000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = limits.maxConnections * HARD_LIMIT_FACTOR;

  // Per connection with a request so far: whether it found the cap full.
  const overCap = new WeakMap<Socket, boolean>();
  let carrying = 0;
  const overConnectionCap = (request: IncomingMessage) => {
    const { socket } = request;
    let over = overCap.get(socket);
    if (over === undefined) {
      over = carrying >= limits.maxConnections;
      overCap.set(socket, over);
      carrying++;
      socket.once('close', () => {
        carrying--;
      });
    }
    return over;
  };
  return { server, overConnectionCap };
}
