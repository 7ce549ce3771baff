import { connect } from 'amqplib';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { activeJobs, dropQueue, waitingJobs } from '../support/queues.js';
import { MongoClient } from 'mongodb';
import { Client } from 'undici';
import { parkingQueueOf } from '../../src/shared/messaging/event-publisher.js';
import { listenDurably, type DurableListener } from '../support/durable-listener.js';
import { eventually } from '../support/eventually.js';
import { percentile } from '../../bench/stats.js';
import { startProcess, type RunningProcess } from '../support/processes.js';
import { isolatedEnvironment, services } from '../support/services.js';

const run = promisify(execFile);

/** An order the stubs confirm in about 200 ms: failures here come from the fault, not them. */
export const FAST_ORDER = JSON.stringify({ user_id: '7c11e1ce2741', product_code: 'classic-box' });

/** The API and worker as real processes on their own database, queue and exchange. */
export class ChaosStack {
  readonly env: Record<string, string>;
  api!: RunningProcess;
  apiUrl = '';
  /** The API's operations port: /metrics and detailed readiness. */
  apiOpsUrl = '';
  workers: RunningProcess[] = [];
  /** APIs started beside the first one (startAnotherApi), with their URLs. */
  moreApis: { process: RunningProcess; url: string }[] = [];
  private readonly mongo = new MongoClient(services.mongoUrl);
  listener: DurableListener | undefined;

  /**
   * `built` runs the build with `npm start`'s heap caps instead of the sources under tsx, for
   * scenarios that measure memory.
   */
  constructor(
    name: string,
    overrides: Record<string, string> = {},
    private readonly options: { built?: boolean } = {},
  ) {
    this.env = {
      ...isolatedEnvironment(`chaos_${name}`),
      // Faster than the defaults so a scenario takes seconds, not minutes; same code paths.
      RECOVERY_SWEEP_INTERVAL_MS: '2000',
      OUTBOX_LEASE_MS: '5000',
      EVENT_CONFIRM_TIMEOUT: '2500ms',
      MONGO_TIMEOUT_MS: '1000',
      SHUTDOWN_GRACE_MS: '10000',
      WORKER_PORT: '0',
      ...overrides,
    };
  }

  /** The consumer first (unless `bound` is false: nothing receives events yet), then API and worker. */
  async start({ bound = true } = {}): Promise<this> {
    if (bound) await this.bindConsumer();
    await this.startApi();
    await this.startWorker();
    return this;
  }

  /** The downstream consumer: a durable queue bound to the stack's exchange. */
  async bindConsumer(): Promise<void> {
    this.listener = await listenDurably({
      url: services.rabbitmqUrl,
      exchange: this.env.ORDERS_EXCHANGE ?? 'orders',
      queue: `${this.env.ORDERS_EXCHANGE ?? 'orders'}_consumer`,
      routingKey: 'created_order',
    });
  }

  async startApi(): Promise<void> {
    this.api = startProcess('api', { ...this.env, PORT: '0', OPS_PORT: '0' }, this.options);
    const listening = await this.api.waitForLog((line) => line.msg === 'api listening');
    this.apiUrl = `http://127.0.0.1:${String(listening.port)}`;
    this.apiOpsUrl = `http://127.0.0.1:${String(listening.opsPort)}`;
  }

  /** One more API on the same database and queue, behind no balancer: returns its URL. */
  async startAnotherApi(): Promise<string> {
    const api = startProcess('api', { ...this.env, PORT: '0', OPS_PORT: '0' }, this.options);
    const listening = await api.waitForLog((line) => line.msg === 'api listening');
    const url = `http://127.0.0.1:${String(listening.port)}`;
    this.moreApis.push({ process: api, url });
    return url;
  }

  async startWorker(): Promise<RunningProcess> {
    const worker = startProcess('worker', this.env, this.options);
    await worker.waitForLog((line) => line.msg === 'worker started');
    this.workers.push(worker);
    return worker;
  }

  /** Status of every stored order (or of the given ones), read from the database itself. */
  async statuses(ids?: readonly string[]): Promise<Map<string, string>> {
    const documents = await this.mongo
      .db(this.env.MONGO_DB)
      .collection<{ _id: string; status: string }>('orders')
      .find(ids === undefined ? {} : { _id: { $in: [...ids] } }, { projection: { status: 1 } })
      .toArray();
    return new Map(documents.map((document) => [document._id, document.status]));
  }

  /** The history of each given order, as stored. */
  async histories(ids: readonly string[]): Promise<Map<string, Record<string, unknown>[]>> {
    const documents = await this.mongo
      .db(this.env.MONGO_DB)
      .collection<{ _id: string; history?: Record<string, unknown>[] }>('orders')
      .find({ _id: { $in: [...ids] } }, { projection: { history: 1 } })
      .toArray();
    return new Map(documents.map((document) => [document._id, document.history ?? []]));
  }

  /** Milliseconds from acceptance to the final state of each given (final) order. */
  async settleTimes(ids: readonly string[]): Promise<number[]> {
    const documents = await this.mongo
      .db(this.env.MONGO_DB)
      .collection<{ _id: string; created_at: Date; updated_at: Date }>('orders')
      .find({ _id: { $in: [...ids] }, status: { $ne: 'PENDING' } })
      .toArray();
    return documents.map(
      (document) => document.updated_at.getTime() - document.created_at.getTime(),
    );
  }

  /** CONFIRMED orders whose event is not marked published, with their lease and claims. */
  async unpublishedEvents(): Promise<unknown[]> {
    const db = this.mongo.db(this.env.MONGO_DB);
    const waiting = await db
      .collection<{ _id: string; event: { message_id: string } | null }>('orders')
      .find({ status: 'CONFIRMED', 'event.published_at': null })
      .project<{ _id: string; event: { message_id: string; lease: unknown } | null }>({
        'event.lease': 1,
        'event.message_id': 1,
      })
      .toArray();
    const claims = await db
      .collection('outbox_claims')
      .find({ message_id: { $in: waiting.map((order) => order.event?.message_id) } })
      .toArray();
    return [...waiting, ...claims];
  }

  /** Removes orders from the store, as a server that lost unjournaled writes would. */
  async loseOrders(ids: readonly string[]): Promise<void> {
    await this.mongo
      .db(this.env.MONGO_DB)
      .collection<{ _id: string }>('orders')
      .deleteMany({ _id: { $in: [...ids] } });
  }

  /** Lease grants the outbox keeps (its bookkeeping), and events still waiting in it. */
  async outboxBookkeeping(): Promise<{ claims: number; waiting: number }> {
    const db = this.mongo.db(this.env.MONGO_DB);
    const [claims, waiting] = await Promise.all([
      db.collection('outbox_claims').countDocuments(),
      db.collection('orders').countDocuments({ outbox: { $exists: true } }),
    ]);
    return { claims, waiting };
  }

  /** Events parked in the stack's parking queue (no queue was bound for them). */
  async parkedEvents(): Promise<number> {
    const connection = await connect(services.rabbitmqUrl);
    try {
      const channel = await connection.createChannel();
      const { messageCount } = await channel.checkQueue(parkingQueueOf(this.exchange));
      return messageCount;
    } finally {
      await connection.close();
    }
  }

  /** Runs `npm run events:replay` on the stack's exchange; its output. */
  async replayParkedEvents(): Promise<string> {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/events-replay.ts'],
      {
        env: { ...process.env, RABBITMQ_URL: services.rabbitmqUrl, ORDERS_EXCHANGE: this.exchange },
      },
    );
    return stdout;
  }

  get exchange(): string {
    return this.env.ORDERS_EXCHANGE ?? 'orders';
  }

  /** Orders whose event the consumer has, and whose publish is still not recorded. */
  async deliveredButUnrecorded(): Promise<number> {
    const delivered = new Set(this.deliveries().map((delivery) => delivery.orderId));
    const unrecorded = await this.mongo
      .db(this.env.MONGO_DB)
      .collection<{ _id: string }>('orders')
      .find({ status: 'CONFIRMED', 'event.published_at': null }, { projection: { _id: 1 } })
      .toArray();
    return unrecorded.filter((order) => delivered.has(order._id)).length;
  }

  /** What the consumer received so far; nothing while none is bound. */
  deliveries(): DurableListener['deliveries'] {
    return this.listener?.deliveries ?? [];
  }

  /** Jobs not picked up by a worker yet. */
  waitingJobs(): Promise<number> {
    return waitingJobs(this.env.QUEUE_NAME ?? '');
  }

  /** Jobs a worker is running now (each holds one of its slots). */
  activeJobs(): Promise<number> {
    return activeJobs(this.env.QUEUE_NAME ?? '');
  }

  private async deleteParkingQueue(): Promise<void> {
    const connection = await connect(services.rabbitmqUrl);
    try {
      const channel = await connection.createChannel();
      await channel.deleteQueue(parkingQueueOf(this.exchange));
    } finally {
      await connection.close();
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([
      this.api.stop(),
      ...this.moreApis.map((api) => api.process.stop()),
      ...this.workers.map((worker) => worker.stop()),
    ]);
    await this.listener?.close().catch(() => undefined);
    await this.deleteParkingQueue().catch(() => undefined);
    await this.mongo.db(this.env.MONGO_DB).dropDatabase();
    await this.mongo.close();
    await dropQueue(this.env.QUEUE_NAME ?? '');
  }
}

/**
 * The MongoDB-protocol server's process: from the pid file `npm run services:up` writes, or,
 * when another checkout started the services, by its command line.
 */
async function storePid(): Promise<number> {
  const recorded = await readFile('.services/ferretdb.pid', 'utf8').catch(() => null);
  if (recorded !== null) return Number(recorded.trim());
  const { stdout } = await run('pgrep', ['-o', '-f', 'bin/ferretdb --handler']);
  return Number(stdout.trim());
}

/** Pauses the MongoDB-protocol server's process (SIGSTOP) for `ms`, then resumes it. */
export async function freezeStore(ms: number): Promise<void> {
  const pid = await storePid();
  process.kill(pid, 'SIGSTOP');
  try {
    await sleep(ms);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

export interface Sent {
  sent: number;
  accepted: string[];
  /** Anything but a 202, by status or error code. */
  refused: Record<string, number>;
  /** How long each POST took to be answered, refused ones included (ms). */
  latenciesMs: number[];
  /** Ids of orders a 503 named as perhaps stored: the store did not confirm their insert. */
  unconfirmed: string[];
}

/** The 99th percentile of the POST latencies, in ms. */
export function postP99(sent: Sent): number {
  return Math.round(percentile(sent.latenciesMs, 99));
}

/** One POST; on a connection of its own when `fresh` (as a client that just came would). */
async function post(
  apiUrl: string,
  body: string,
  fresh: boolean,
): Promise<{ status: number; answer: { id?: string; order_id?: string } }> {
  const headers = { 'content-type': 'application/json' };
  if (fresh) {
    // A client of its own: a pooled connection it closed would be one the others lose.
    const client = new Client(apiUrl);
    try {
      const response = await client.request({ method: 'POST', path: '/orders', headers, body });
      return { status: response.statusCode, answer: (await response.body.json()) as object };
    } finally {
      await client.close();
    }
  }
  const response = await fetch(`${apiUrl}/orders`, { method: 'POST', headers, body });
  return { status: response.status, answer: (await response.json()) as object };
}

async function postOne(
  apiUrl: string,
  into: Sent,
  body = FAST_ORDER,
  fresh = false,
): Promise<void> {
  into.sent++;
  const started = performance.now();
  try {
    const { status, answer } = await post(apiUrl, body, fresh);
    into.latenciesMs.push(performance.now() - started);
    if (status === 202 && typeof answer.id === 'string') into.accepted.push(answer.id);
    else into.refused[String(status)] = (into.refused[String(status)] ?? 0) + 1;
    if (typeof answer.order_id === 'string') into.unconfirmed.push(answer.order_id);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const code = cause?.code ?? 'network-error';
    into.refused[code] = (into.refused[code] ?? 0) + 1;
    await sleep(5); // nobody listening: do not spin
  }
}

/**
 * Posts `count` orders (the fast one unless told), `concurrency` at a time; each on a new
 * connection with `freshConnections`, else on kept-alive ones.
 */
export async function sendOrders(
  apiUrl: string,
  count: number,
  concurrency = 16,
  body = FAST_ORDER,
  options: { freshConnections?: boolean } = {},
): Promise<Sent> {
  const result: Sent = { sent: 0, accepted: [], refused: {}, latenciesMs: [], unconfirmed: [] };
  let left = count;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left > 0) {
        left--;
        await postOne(apiUrl, result, body, options.freshConnections === true);
      }
    }),
  );
  return result;
}

/**
 * Posts each of `bodies` once, in their order, `concurrency` at a time, each sender on the
 * next of `apiUrls` in turn: what was sent of each distinct body.
 */
export async function sendMix(
  apiUrls: readonly string[],
  bodies: readonly string[],
  concurrency: number,
): Promise<Map<string, Sent>> {
  const sentOf = new Map<string, Sent>();
  for (const body of bodies)
    sentOf.set(body, { sent: 0, accepted: [], refused: {}, latenciesMs: [], unconfirmed: [] });
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, sender) => {
      const apiUrl = apiUrls[sender % apiUrls.length] ?? '';
      while (next < bodies.length) {
        const body = bodies[next++] ?? FAST_ORDER;
        const into = sentOf.get(body);
        if (into !== undefined) await postOne(apiUrl, into, body);
      }
    }),
  );
  return sentOf;
}

/** Posts orders without pause until `signal` aborts. */
export async function sendOrdersUntil(
  apiUrl: () => string,
  signal: AbortSignal,
  concurrency = 8,
): Promise<Sent> {
  const result: Sent = { sent: 0, accepted: [], refused: {}, latenciesMs: [], unconfirmed: [] };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!signal.aborted) await postOne(apiUrl(), result);
    }),
  );
  return result;
}

export function merge(...parts: Sent[]): Sent {
  const refused: Record<string, number> = {};
  for (const part of parts)
    for (const [key, count] of Object.entries(part.refused))
      refused[key] = (refused[key] ?? 0) + count;
  return {
    sent: parts.reduce((sum, part) => sum + part.sent, 0),
    accepted: parts.flatMap((part) => part.accepted),
    refused,
    latenciesMs: parts.flatMap((part) => part.latenciesMs),
    unconfirmed: parts.flatMap((part) => part.unconfirmed),
  };
}

export interface Tally {
  sent: number;
  accepted: number;
  /** Orders in the database: more than accepted only if a 202 was lost on the way back. */
  stored: number;
  confirmed: number;
  failed: number;
  pending: number;
  events: number;
  unique: number;
  duplicates: number;
  /** Confirmed orders no event was seen for, and events for orders not confirmed. */
  missingEvents: string[];
  strayEvents: string[];
}

/**
 * Waits until every stored order is final and every CONFIRMED one's event arrived, then
 * counts. Stored, not only accepted: an order whose 202 was cut off on the way back must
 * still be processed.
 */
export async function settle(stack: ChaosStack, sent: Sent, timeoutMs: number): Promise<Tally> {
  const final = (status: string | undefined) => status === 'CONFIRMED' || status === 'FAILED';
  const statuses = await eventually(
    () => stack.statuses(),
    (found) => sent.accepted.every((id) => found.has(id)) && [...found.values()].every(final),
    { timeoutMs, intervalMs: 500, what: 'every stored order to be final' },
  ).catch(() => stack.statuses());
  const confirmed = [...statuses].filter(([, status]) => status === 'CONFIRMED').map(([id]) => id);
  const seen = () => new Set(stack.deliveries().map((delivery) => delivery.orderId));
  await eventually(
    () => Promise.resolve(seen()),
    (orders) => confirmed.every((id) => orders.has(id)),
    { timeoutMs: 30_000, intervalMs: 250, what: 'an event for every confirmed order' },
  ).catch(() => undefined);
  await sleep(1000); // late duplicates, if any, show up now
  const deliveries = stack.deliveries();
  const unique = new Set(deliveries.map((delivery) => delivery.messageId));
  const orders = seen();
  const confirmedSet = new Set(confirmed);
  return {
    sent: sent.sent,
    accepted: sent.accepted.length,
    stored: statuses.size,
    confirmed: confirmed.length,
    failed: [...statuses.values()].filter((status) => status === 'FAILED').length,
    pending: [...statuses.values()].filter((status) => !final(status)).length,
    events: deliveries.length,
    unique: unique.size,
    duplicates: deliveries.length - unique.size,
    missingEvents: confirmed.filter((id) => !orders.has(id)),
    strayEvents: [...orders].filter((id) => !confirmedSet.has(id)),
  };
}

export function report(scenario: string, tally: Tally, refused: Record<string, number>): void {
  const refusals = Object.entries(refused)
    .map(([why, count]) => `${why}×${count}`)
    .join(' ');
  console.log(
    `      chaos ${scenario}: sent ${tally.sent} / accepted ${tally.accepted}${tally.stored === tally.accepted ? '' : ` (stored ${tally.stored})`} / confirmed ${tally.confirmed} / failed ${tally.failed} / events ${tally.unique} unique / duplicates ${tally.duplicates}${refusals ? ` (refused: ${refusals})` : ''}`,
  );
}

export async function rabbitmqctl(command: 'stop_app' | 'start_app'): Promise<void> {
  await run('rabbitmqctl', ['-q', command]);
  if (command === 'start_app') await run('rabbitmqctl', ['-q', 'await_startup']);
}
