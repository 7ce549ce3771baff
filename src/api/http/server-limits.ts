import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { MAX_WAIT_SECONDS } from './prefer-wait.js';

export interface ServerLimits {
  /**
   * Open connections at most (HTTP_MAX_CONNECTIONS). A connection opened past it is still
   * read, and its request answered 503 `/problems/overloaded` with `Connection: close` (see
   * shed-load), so every client gets an HTTP answer instead of a reset. Node itself drops
   * connections only past three times as many, a last resort against clients that open
   * connections and send nothing until the headers time runs out.
   *
   * The default, 5,000, with HTTP_MAX_IN_FLIGHT at 3,000: when 10,000 long-polls arrive
   * together the API's heap peaks at about 112 MB used (sampled twice a second), under
   * `npm start`'s 160 MB cap. Under a 96 MB cap one flood in twelve ran it out of memory.
   */
  maxConnections: number;
}

const HARD_LIMIT_FACTOR = 3;

/**
 * Bounds what clients can hold open: connections, time to send the headers, time for a whole
 * request (long enough for the longest long-poll), and idle keep-alive connections. Node's own
 * defaults leave connections unbounded and allow a request five minutes. Returns whether a
 * request came on a connection opened past the cap: such requests are to be refused.
 */
export function limitServer(
  server: Server,
  limits: ServerLimits,
): (request: IncomingMessage) => boolean {
  const overCap = new WeakSet<Socket>();
  let open = 0;
  server.on('connection', (socket: Socket) => {
    if (open >= limits.maxConnections) overCap.add(socket);
    open++;
    socket.once('close', () => {
      open--;
    });
  });
  server.maxConnections = limits.maxConnections * HARD_LIMIT_FACTOR;
  server.headersTimeout = 10_000;
  server.requestTimeout = (MAX_WAIT_SECONDS + 30) * 1000;
  server.keepAliveTimeout = 5_000;
  return (request) => overCap.has(request.socket);
}
