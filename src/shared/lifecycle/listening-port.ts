import type { Server } from 'node:net';

/** The port a server listens on: the one the kernel picked when it was asked for 0. */
export function listeningPort(server: Server, configured: number): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : configured;
}
