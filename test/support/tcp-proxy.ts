import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TcpProxy {
  /** Where clients connect, e.g. 127.0.0.1:<port>; the port stays the same across cut/restore. */
  readonly port: number;
  /** e.g. url('redis') -> 'redis://127.0.0.1:<port>'. */
  readonly url: (scheme: string) => string;
  /**
   * Refuse new connections (ECONNREFUSED: the listener is closed) and destroy every open one.
   * Resolves when done.
   */
  cut(): Promise<void>;
  /**
   * Hang like a stalled server: drop the open connections, then accept new ones but forward
   * nothing, so every request waits. `restore()` forwards what the held ones sent meanwhile.
   */
  hang(): Promise<void>;
  /**
   * Like a server frozen mid-work (SIGSTOP): what clients send still reaches the service, which
   * acts on it, but no answer comes back, on open connections or new ones, until `restore()`
   * delivers the answers held meanwhile.
   */
  freezeAnswers(): Promise<void>;
  /** Connections accepted while hanging and not forwarded yet. */
  held(): number;
  /** Listen again on the same port (or stop hanging) and forward as before. */
  restore(): Promise<void>;
  /** Close for good. */
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

const HOST = '127.0.0.1';
const LISTEN_ATTEMPTS = 20;
const LISTEN_RETRY_DELAY_MS = 50;

/**
 * A TCP forwarder that fault-injection tests place between our processes and a real service, so
 * that "the service is down" can be simulated without stopping the shared service itself.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  /** Connections accepted while hanging, with what each sent meanwhile. */
  const holding = new Map<net.Socket, { sent: Buffer[]; keep: (chunk: Buffer) => void }>();
  let server: net.Server | undefined;
  let closed = false;
  let hanging = false;
  let answersFrozen = false;

  const onConnection = (client: net.Socket): void => {
    if (hanging) {
      // Read and keep what the client sends (so a client that gives up is seen closing),
      // answer nothing.
      const sent: Buffer[] = [];
      const keep = (chunk: Buffer) => sent.push(chunk);
      holding.set(client, { sent, keep });
      client.on('data', keep);
      client.on('error', () => client.destroy());
      client.on('close', () => holding.delete(client));
      return;
    }
    forward(client, []);
  };

  const forward = (client: net.Socket, sentBefore: Buffer[]): void => {
    const upstream = net.connect({ host: target.host, port: target.port });
    const pair: Pair = { client, upstream };
    pairs.add(pair);

    // Tearing down both halves together is what the code under test would see if the service
    // died: a half-open pair would instead look like a hung server, which is a different fault.
    const teardown = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // Errors are expected here (resets, refused upstream, our own cut()); they must never crash
    // the test process, and the 'close' that follows every error already tears the pair down.
    client.on('error', teardown);
    upstream.on('error', teardown);
    client.on('close', teardown);
    upstream.on('close', teardown);

    // Redis and Mongo clients send small request/response frames; Nagle would only add latency
    // that makes timing-sensitive tests flaky.
    client.setNoDelay(true);
    upstream.setNoDelay(true);

    // The client may start writing before the upstream connect completes; net.Socket buffers
    // those writes until it is connected, so nothing is lost.
    for (const chunk of sentBefore) upstream.write(chunk);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const listenOnce = (port: number): Promise<net.Server> =>
    new Promise((resolve, reject) => {
      const candidate = net.createServer(onConnection);
      const onError = (err: Error): void => {
        candidate.off('listening', onListening);
        reject(err);
      };
      const onListening = (): void => {
        candidate.off('error', onError);
        // A listening server hardly ever emits 'error', but an unhandled one would kill the
        // whole mocha run instead of failing a single test.
        candidate.on('error', () => undefined);
        resolve(candidate);
      };
      candidate.once('error', onError);
      candidate.once('listening', onListening);
      candidate.listen({ host: HOST, port });
    });

  const listen = async (port: number): Promise<net.Server> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await listenOnce(port);
      } catch (err) {
        // Re-binding the port we just released can briefly collide with the old socket (or
        // with another process that grabbed it); a short wait is usually enough.
        const retryable = port !== 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!retryable || attempt >= LISTEN_ATTEMPTS) throw err;
        await sleep(LISTEN_RETRY_DELAY_MS);
      }
    }
  };

  server = await listen(0);
  const port = (server.address() as AddressInfo).port;

  const doCut = async (): Promise<void> => {
    const current = server;
    server = undefined;
    if (current === undefined) return;
    // Close the listener first so no connection can sneak in between destroying the open pairs
    // and the port actually going away.
    const listenerClosed = new Promise<void>((resolve) => {
      current.close(() => {
        resolve();
      });
    });
    for (const pair of pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    pairs.clear();
    for (const client of holding.keys()) client.destroy();
    holding.clear();
    // server.close() only calls back once every accepted socket is gone, so this also waits
    // for the destroys above to finish.
    await listenerClosed;
  };

  const doHang = async (): Promise<void> => {
    await doRestore();
    hanging = true;
    for (const pair of pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    pairs.clear();
  };

  const doFreezeAnswers = async (): Promise<void> => {
    await doRestore();
    hanging = true;
    answersFrozen = true;
    for (const pair of pairs) pair.upstream.unpipe(pair.client);
  };

  const doRestore = async (): Promise<void> => {
    if (closed) throw new Error('tcp proxy is closed');
    if (answersFrozen) {
      answersFrozen = false;
      for (const pair of pairs) pair.upstream.pipe(pair.client);
    }
    if (hanging) {
      hanging = false;
      const held = [...holding];
      holding.clear();
      for (const [client, { sent, keep }] of held) {
        if (client.destroyed) continue;
        client.off('data', keep);
        forward(client, sent);
      }
    }
    if (server !== undefined) return;
    server = await listen(port);
  };

  const doClose = async (): Promise<void> => {
    closed = true;
    await doCut();
  };

  // Tests often fire cut/restore from different places (hooks, helpers); running them one at a
  // time keeps the listener state consistent even if a caller forgets to await.
  let queue: Promise<void> = Promise.resolve();
  const serialize = (op: () => Promise<void>): Promise<void> => {
    const run = queue.then(op);
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    port,
    url: (scheme: string) => `${scheme}://${HOST}:${port}`,
    cut: () => serialize(doCut),
    hang: () => serialize(doHang),
    freezeAnswers: () => serialize(doFreezeAnswers),
    held: () => holding.size,
    restore: () => serialize(doRestore),
    close: () => serialize(doClose),
  };
}
