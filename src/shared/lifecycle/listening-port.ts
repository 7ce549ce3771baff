import { once } from 'node:events';
import type { Server } from 'node:net';

/** The port a server listens on: the one the kernel picked when it was asked for 0. */
export function listeningPort(server: Server, configured: number): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : configured;
}

/** Starts `server` listening; resolves with the port it got, rejects when it cannot listen. */
export async function listen(
  server: Server,
  options: { port: number; host?: string | undefined; backlog?: number },
): Promise<number> {
  server.listen(options);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error instanceof Error ? error : new Error(`cannot listen on ${String(options.port)}`);
    }),
  ]);
  return listeningPort(server, options.port);
}
