/**
 * A TCP forwarder, for an address a service cannot listen on itself (a published port other
 * than the container's, or a name whose service cannot bind a second address).
 */
import net from 'node:net';
import type { Cleanup } from './cleanup.js';

export async function forwardTcp(
  from: { host: string; port: number },
  to: { host: string; port: number },
  cleanup: Cleanup,
): Promise<void> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(to.port, to.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(from.port, from.host, () => {
      resolve();
    });
  });
  cleanup.add(`forwarder ${from.host}:${String(from.port)}`, async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  });
}

/** True when something accepts TCP connections at host:port. */
export function canConnect(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => {
      done(false);
    });
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}
