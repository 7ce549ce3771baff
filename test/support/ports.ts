import { once } from 'node:events';
import { createServer } from 'node:net';
import { listeningPort } from '../../src/shared/lifecycle/listening-port.js';

/** A TCP port nothing listens on right now, for a process that needs one given up front. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = listeningPort(server, 0);
  server.close();
  return port;
}
