import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { metricValues } from './metrics.js';

export interface FloodAnswers {
  polls: number;
  /** 200s, and how many of them waited (`Preference-Applied`). */
  ok: number;
  waited: number;
  /** 503 `/problems/overloaded`: shed before any work. */
  overloaded: number;
  /** Polls that got no HTTP answer, by error code. */
  errors: Record<string, number>;
  peakHeapMb: number;
  /** The most polls the API held waiting at once (its `http_long_polls_waiting`, sampled). */
  peakWaiting: number;
}

type ClientMessage =
  { ready: true } | { started: true } | { tally: Omit<FloodAnswers, 'polls' | 'peakHeapMb'> };

const CLIENT = fileURLToPath(new URL('./long-poll-flood-client.ts', import.meta.url));

/** A flood's clients, loaded and waiting: `run` lets them go. */
export interface PreparedFlood {
  /**
   * Sends the polls and starts `beside` as the first go out (orders posted while the flood
   * arrives); reports how each poll was answered, what `beside` returned, and the API's peak
   * heap and peak of polls held, read from its metrics (operations port) every half second.
   */
  run<R>(beside: () => Promise<R>): Promise<{ answers: FloodAnswers; beside: R }>;
  /** Stops the clients if they still run. */
  dispose(): Promise<void>;
}

/**
 * `polls` clients that will long-poll one PENDING order (`Prefer: wait=<waitSeconds>`), each
 * on a connection of its own, as fast as the API accepts them, from a process of their own (as clients
 * elsewhere would: their connections do not stall this process's requests). Resolves once the
 * process is loaded, so what the test measures next is not held up by its start.
 */
export async function prepareFlood(
  api: { url: string; opsUrl: string },
  orderId: string,
  options: { polls: number; waitSeconds: number },
): Promise<PreparedFlood> {
  const { polls } = options;
  const client = fork(CLIENT, [api.url, orderId, String(polls), String(options.waitSeconds)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: ClientMessage[] = [];
  const waiting: (() => void)[] = [];
  client.on('message', (message: ClientMessage) => {
    messages.push(message);
    waiting.splice(0).forEach((wake) => {
      wake();
    });
  });
  const exited = new Promise<never>((_resolve, reject) => {
    client.once('exit', (code) => {
      reject(new Error(`the flood client exited (${String(code)}) early`));
    });
  });
  exited.catch(() => undefined);
  const next = async <M extends ClientMessage>(is: (message: ClientMessage) => message is M) => {
    for (;;) {
      const found = messages.find(is);
      if (found !== undefined) return found;
      await Promise.race([new Promise<void>((wake) => waiting.push(wake)), exited]);
    }
  };
  await next((message): message is { ready: true } => 'ready' in message);

  const dispose = async () => {
    if (client.exitCode === null && client.signalCode === null) {
      client.kill();
      await once(client, 'exit');
    }
  };
  return {
    dispose,
    async run(beside) {
      let peakHeapMb = 0;
      let peakWaiting = 0;
      const watch = setInterval(() => {
        metricValues(api.opsUrl, ['nodejs_heap_size_used_bytes', 'http_long_polls_waiting'])
          .then(([heapBytes = 0, held = 0]) => {
            peakHeapMb = Math.max(peakHeapMb, Math.round(heapBytes / 1e6));
            peakWaiting = Math.max(peakWaiting, held);
          })
          .catch(() => undefined);
      }, 500);
      try {
        client.send('go');
        await next((message): message is { started: true } => 'started' in message);
        const besideResult = await beside();
        const { tally } = await next(
          (message): message is Extract<ClientMessage, { tally: unknown }> => 'tally' in message,
        );
        return { answers: { polls, ...tally, peakHeapMb, peakWaiting }, beside: besideResult };
      } finally {
        clearInterval(watch);
        await dispose();
      }
    },
  };
}

/** prepareFlood, then run at once. */
export async function floodLongPolls<R>(
  api: { url: string; opsUrl: string },
  orderId: string,
  options: { polls: number; waitSeconds: number },
  beside: () => Promise<R>,
): Promise<{ answers: FloodAnswers; beside: R }> {
  const flood = await prepareFlood(api, orderId, options);
  return flood.run(beside);
}
