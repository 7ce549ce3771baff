import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { listen } from '../../shared/lifecycle/listening-port.js';
import type { Logger } from '../../shared/observability/logger.js';
import { createLimitedServer } from './server-limits.js';
import { shedLoad } from './shed-load.js';

/** Capped by the kernel's net.core.somaxconn (4096 on current Linux). */
const LISTEN_BACKLOG = 4096;

export interface PublicServerSettings {
  maxConnections: number;
  maxInFlight: number;
  shutdownGraceMs: number;
}

/**
 * The server clients talk to: bounded in what they can hold open (server-limits), turning
 * away what it cannot take before the app sees it (shed-load), and closing gracefully.
 */
export function createPublicServer(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  settings: PublicServerSettings,
  events: { onShed: () => void; logger: Logger },
) {
  const { server, overConnectionCap } = createLimitedServer({
    maxConnections: settings.maxConnections,
  });
  server.on(
    'request',
    shedLoad(handle, { maxInFlight: settings.maxInFlight, overConnectionCap }, events.onShed),
  );
  return {
    async listen(at: { port: number; host?: string | undefined }): Promise<number> {
      // A deep accept queue: a burst of new connections waits in it instead of retrying its SYN.
      return listen(server, { ...at, backlog: LISTEN_BACKLOG });
    },
    /**
     * Stops accepting connections and resolves once the requests in flight are answered; a
     * connection still busy when the grace period ends is cut.
     */
    async close(): Promise<void> {
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeIdleConnections();
      });
      const late = await Promise.race([
        closed.then(() => false),
        sleep(settings.shutdownGraceMs, true, { ref: false }),
      ]);
      if (late) {
        events.logger.warn('grace period over; closing the remaining connections');
        server.closeAllConnections();
      }
    },
  };
}
