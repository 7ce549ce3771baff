import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { dropQueue, waitingJobs } from '../test/support/queues.js';
import { MongoClient } from 'mongodb';
import { Pool } from 'undici';
import { listenDurably, type DurableListener } from '../test/support/durable-listener.js';
import { isolatedEnvironment, services } from '../test/support/services.js';
import { freePort } from '../test/support/ports.js';
import { startArguments } from '../test/support/processes.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RESULTS_DIR = `${ROOT}bench/results/`;

async function waitForHealth(url: string, process: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (process.exitCode !== null) throw new Error(`${url}: the process exited`);
    try {
      if ((await fetch(`${url}/health/live`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

/**
 * Runs the build (`dist/<name>/main.js`) as its own process with the default log level, its
 * output going to a file under bench/results rather than through the bench process.
 */
async function startBuilt(
  name: 'api' | 'worker',
  env: Record<string, string>,
  port: number,
  extraNodeArguments: readonly string[],
): Promise<ChildProcess> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const log = openSync(`${RESULTS_DIR}${env.QUEUE_NAME ?? name}-${name}.log`, 'a');
  const child = spawn(process.execPath, [...extraNodeArguments, ...startArguments(name)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
  });
  await waitForHealth(`http://127.0.0.1:${port}`, child);
  return child;
}

async function kill(child: ChildProcess | null, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  await once(child, 'exit');
}

export interface Sent {
  /** Order id → when the bench had its 202. */
  accepted: Map<string, number>;
  /** How long each POST took to be answered, in ms, refused ones included. */
  latenciesMs: number[];
  errors: number;
}

/**
 * The API and the worker, built (`dist/`), as separate processes on a database, queue and
 * exchange of their own, with a consumer counting the events, and an HTTP pool to post with.
 */
export class BenchStack {
  readonly env: Record<string, string>;
  api: ChildProcess | null = null;
  worker: ChildProcess | null = null;
  apiUrl = '';
  /** The API's operations port: /metrics and detailed readiness. */
  apiOpsUrl = '';
  workerUrl = '';
  events: DurableListener | null = null;
  private pool: Pool | null = null;
  private readonly mongo = new MongoClient(services.mongoUrl);

  /** `nodeArguments` go before those of the start script (e.g. `--cpu-prof`). */
  constructor(
    name: string,
    overrides: Record<string, string> = {},
    private readonly nodeArguments: readonly string[] = [],
  ) {
    this.env = {
      ...isolatedEnvironment(`bench_${name}`),
      ...overrides,
    };
  }

  get database() {
    return this.mongo.db(this.env.MONGO_DB);
  }

  /** The event consumer, the API and the worker, in the order a run needs them. */
  async start(): Promise<void> {
    await this.listen();
    await this.startApi();
    await this.startWorker();
  }

  async startApi(): Promise<void> {
    const [port, opsPort] = [await freePort(), await freePort()];
    this.api = await startBuilt(
      'api',
      { ...this.env, PORT: String(port), OPS_PORT: String(opsPort) },
      port,
      this.nodeArguments,
    );
    this.apiUrl = `http://127.0.0.1:${port}`;
    this.apiOpsUrl = `http://127.0.0.1:${opsPort}`;
    this.pool = new Pool(this.apiUrl, { connections: 128, pipelining: 1 });
  }

  async startWorker(): Promise<void> {
    const port = await freePort();
    this.worker = await startBuilt(
      'worker',
      { ...this.env, WORKER_PORT: String(port) },
      port,
      this.nodeArguments,
    );
    this.workerUrl = `http://127.0.0.1:${port}`;
  }

  async listen(): Promise<DurableListener> {
    this.events = await listenDurably({
      url: services.rabbitmqUrl,
      exchange: this.env.ORDERS_EXCHANGE ?? '',
      queue: `${this.env.ORDERS_EXCHANGE ?? ''}_bench`,
      routingKey: 'created_order',
    });
    return this.events;
  }

  /**
   * Posts `count` copies of `order`, `concurrency` at a time; with `paceMs`, each client
   * waits that long between posts (a steady arrival rate instead of a burst).
   */
  async send(order: object, count: number, concurrency: number, paceMs = 0): Promise<Sent> {
    const pool = this.pool;
    if (pool === null) throw new Error('start the API first');
    const body = JSON.stringify(order);
    const sent: Sent = { accepted: new Map(), latenciesMs: [], errors: 0 };
    let left = count;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left > 0) {
          left--;
          const started = performance.now();
          try {
            const response = await pool.request({
              method: 'POST',
              path: '/orders',
              headers: { 'content-type': 'application/json' },
              body,
            });
            const answer = (await response.body.json()) as { id?: string };
            if (response.statusCode === 202 && typeof answer.id === 'string')
              sent.accepted.set(answer.id, Date.now());
            else sent.errors++;
          } catch {
            sent.errors++;
          }
          sent.latenciesMs.push(performance.now() - started);
          if (paceMs > 0) await sleep(paceMs);
        }
      }),
    );
    return sent;
  }

  /**
   * Waits until the consumer has the event of every one of `ids` (orders that must be
   * CONFIRMED: only those publish one) and returns when the last one arrived. Completion is
   * watched on the broker, not by polling the database: a query by a list of ids is one
   * FerretDB filters itself, reading every order, and it would load the server being measured.
   */
  async eventsArrived(ids: readonly string[], timeoutMs: number): Promise<number> {
    const events = this.events;
    if (events === null) throw new Error('listen for events first');
    const expected = new Set(ids);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = new Set(
        events.deliveries.map((delivery) => delivery.orderId).filter((id) => expected.has(id)),
      );
      if (seen.size === expected.size) return Date.now();
      if (Date.now() > deadline)
        throw new Error(`${expected.size - seen.size} of ${expected.size} events missing`);
      await sleep(20);
    }
  }

  /**
   * Per order among `ids`, from its event (its first delivery, if it came twice): accept →
   * CONFIRMED in ms, and CONFIRMED → on a bound queue (`eventLagsMs`).
   */
  confirmationTimes(ids: readonly string[]) {
    const first = new Map<string, DurableListener['deliveries'][number]>();
    for (const delivery of this.events?.deliveries ?? [])
      if (!first.has(delivery.orderId)) first.set(delivery.orderId, delivery);
    const found = ids.flatMap((id) => {
      const delivery = first.get(id);
      return delivery === undefined ? [] : [delivery];
    });
    return {
      acceptToConfirmedMs: found.map((delivery) => delivery.confirmedAt - delivery.acceptedAt),
      eventLagsMs: found.map((delivery) => delivery.receivedAt - delivery.confirmedAt),
    };
  }

  /** `eventsArrived`, then `confirmationTimes`: when the last event came, and each order's times. */
  async confirmed(ids: readonly string[], timeoutMs: number) {
    const completedAt = await this.eventsArrived(ids, timeoutMs);
    return { completedAt, ...this.confirmationTimes(ids) };
  }

  /** Jobs not picked up by a worker yet. */
  waitingJobs(): Promise<number> {
    return waitingJobs(this.env.QUEUE_NAME ?? '');
  }

  /** Stops both processes as a deployment would (SIGTERM), so they finish what they write. */
  async stopGracefully(): Promise<void> {
    await Promise.all([kill(this.api, 'SIGTERM'), kill(this.worker, 'SIGTERM')]);
  }

  async stopProcesses(): Promise<void> {
    // Nothing to drain: the bench's data is thrown away.
    await Promise.all([kill(this.api), kill(this.worker)]);
    await this.pool?.close();
    this.api = null;
    this.worker = null;
    this.pool = null;
  }

  async dispose(): Promise<void> {
    await this.stopProcesses();
    await this.events?.close().catch(() => undefined);
    await this.database.dropDatabase();
    await this.mongo.close();
    await dropQueue(this.env.QUEUE_NAME ?? '');
  }
}
