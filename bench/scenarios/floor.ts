import { connect } from 'amqplib';
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { services } from '../../test/support/services.js';
import { callsPerOrderByName, redisCommandCalls } from '../dependency-counts.js';
import {
  CONCURRENCY_VARIABLE,
  FLOOR_PARTS,
  FLOOR_SCRIPTS,
  floorQueueOf,
  type FloorPartName,
  type FromChild,
  type ToChild,
} from '../floor/protocol.js';
import { readCpu } from '../process-cpu.js';
import { BenchStack } from '../stack.js';
import { round } from '../stats.js';
import { INSTANT_ORDER } from '../stubs.js';

export type { FloorPartName } from '../floor/protocol.js';

/** One part of the pipeline, alone, as the process doing its work spent on it. */
export interface FloorPart {
  opsPerSecond: number;
  /** CPU of the part's own process (not the load generator, not the servers) per operation. */
  cpuMsPerOp: number;
  /** Redis commands the server ran per operation (the queue part only; null elsewhere). */
  redisCommandsPerOp: number | null;
  /** Those commands by name, most frequent first. */
  redisByCommand: Record<string, number> | null;
}

export interface FloorResult {
  /** Operations in flight in each part: the end-to-end scenario's clients. */
  concurrency: number;
  /** Each part's measured window, after its warm-up. */
  windowSeconds: number;
  parts: Record<FloorPartName, FloorPart>;
  /**
   * CPU ms per order of the four parts together: what an order costs the libraries alone,
   * the floor the service's own cost (API + worker) is set against.
   */
  cpuMsPerOrder: number;
}

export interface FloorOptions {
  concurrency: number;
  warmUpSeconds: number;
  windowSeconds: number;
}

/**
 * A few seconds a part: enough 10 ms CPU ticks for a figure per operation that holds to a
 * few per cent, short enough that the whole floor, each part's start and cleanup included,
 * takes about 25 s (15 s when quick, whose figures are a smoke check only).
 */
export const FLOOR_SIZES: Record<'quick' | 'full', FloorOptions> = {
  quick: { concurrency: 64, warmUpSeconds: 0.5, windowSeconds: 1 },
  full: { concurrency: 64, warmUpSeconds: 1, windowSeconds: 3 },
};

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** A child's setup connects to its service and, for the store, creates the indexes. */
const READY_TIMEOUT_MS = 30_000;
const REPLY_TIMEOUT_MS = 10_000;
/** Long enough for 64 operations in flight to finish and the connections to close. */
const STOP_TIMEOUT_MS = 10_000;

/**
 * One part's own process (bench/floor/<script>), run under tsx like the bench, and what it
 * says over IPC. Its replies come in the order they were asked for, so one queue of waiters
 * matches them; a `failed` from it fails every question asked and to be asked.
 */
class FloorChild {
  private readonly waiters: {
    resolve: (reply: FromChild) => void;
    reject: (error: Error) => void;
  }[] = [];
  private failure: Error | null = null;
  private stopping = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly part: FloorPartName,
  ) {
    child.on('message', (reply: FromChild) => {
      if (reply.kind === 'failed') this.fail(reply.message);
      else this.waiters.shift()?.resolve(reply);
    });
    child.on('error', (error) => {
      this.fail(error.message);
    });
    child.on('exit', (code, signal) => {
      if (!this.stopping) this.fail(`the process exited (${String(code ?? signal)})`);
    });
  }

  static spawn(part: FloorPartName, env: Record<string, string>, concurrency: number): FloorChild {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', `bench/floor/${FLOOR_SCRIPTS[part]}`],
      {
        cwd: ROOT,
        env: { ...process.env, ...env, [CONCURRENCY_VARIABLE]: String(concurrency) },
        // The report goes to the bench's stdout: whatever a child prints goes to stderr.
        stdio: ['ignore', 2, 2, 'ipc'],
      },
    );
    return new FloorChild(child, part);
  }

  private fail(reason: string): void {
    this.failure ??= new Error(`floor part ${this.part}: ${reason}`);
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
  }

  private reply(timeoutMs: number): Promise<FromChild> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(`no answer within ${String(timeoutMs)} ms`);
      }, timeoutMs);
      this.waiters.push({
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  private send(message: ToChild): void {
    if (this.child.connected) this.child.send(message);
  }

  /** Waits until the part is set up; a server part says where it listens. */
  async ready(): Promise<{ port?: number }> {
    const reply = await this.reply(READY_TIMEOUT_MS);
    if (reply.kind !== 'ready') throw new Error(`floor part ${this.part}: said ${reply.kind}`);
    return reply;
  }

  /** Starts the part's loops (a server part has none). */
  start(): void {
    this.send({ kind: 'start' });
  }

  /** Operations the part completed so far. */
  async done(): Promise<number> {
    const reply = this.reply(REPLY_TIMEOUT_MS);
    this.send({ kind: 'count' });
    const answer = await reply;
    if (answer.kind !== 'count') throw new Error(`floor part ${this.part}: said ${answer.kind}`);
    return answer.done;
  }

  /**
   * The process's CPU so far, from /proc through the bench's own reader (as the API's, which
   * is the group it lands in). That reader walks all of /proc, some 50 ms, so the reading
   * lags the operation count by about that much at both ends of the window alike.
   */
  async cpuMs(): Promise<number> {
    if (this.failure !== null) throw this.failure;
    return (await readCpu({ api: this.child.pid, worker: undefined })).api;
  }

  /** Lets the part finish and close its connections; kills it when it does not in time. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.send({ kind: 'stop' });
    const inTime = await Promise.race([
      exited.then(() => true),
      sleep(STOP_TIMEOUT_MS, false, { ref: false }),
    ]);
    if (inTime) return;
    this.child.kill('SIGKILL');
    await exited;
  }
}

interface Reading {
  /** Operations completed so far. */
  ops: number;
  cpuMs: number;
  /** Redis command calls so far, by name, when the part's Redis work is counted. */
  redis: Record<string, number> | null;
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

function partFigures(before: Reading, after: Reading, seconds: number): FloorPart {
  const ops = after.ops - before.ops;
  if (ops <= 0) throw new Error('no operation completed in the measured window');
  const redisByCommand =
    before.redis === null || after.redis === null
      ? null
      : callsPerOrderByName(before.redis, after.redis, ops);
  return {
    opsPerSecond: round(ops / seconds, 0),
    cpuMsPerOp: round((after.cpuMs - before.cpuMs) / ops, 3),
    redisCommandsPerOp:
      redisByCommand === null ? null : round(sum(Object.values(redisByCommand)), 2),
    redisByCommand:
      redisByCommand === null
        ? null
        : Object.fromEntries(
            Object.entries(redisByCommand).map(([name, calls]) => [name, round(calls, 2)]),
          ),
  };
}

/**
 * A part that drives itself (queue, store, broker): its loops run through the warm-up, then
 * its CPU and completed operations (and, for the queue, the Redis server's command counts)
 * are read at both ends of the window, so setup, warm-up and shutdown are outside it.
 */
async function measureSelfDriven(
  child: FloorChild,
  options: FloorOptions,
  countRedis: boolean,
): Promise<FloorPart> {
  const read = async (): Promise<Reading> => {
    const [ops, cpuMs, redis] = await Promise.all([
      child.done(),
      child.cpuMs(),
      countRedis ? redisCommandCalls(services.redisUrl) : null,
    ]);
    return { ops, cpuMs, redis };
  };
  child.start();
  await sleep(options.warmUpSeconds * 1000);
  const before = await read();
  const startedAt = performance.now();
  await sleep(options.windowSeconds * 1000);
  const after = await read();
  return partFigures(before, after, (performance.now() - startedAt) / 1000);
}

/**
 * The Koa server, loaded from the bench process with autocannon (as scenario (a) loads the
 * API): a warm-up run, then the measured run with the server's CPU read around it.
 */
async function measureServer(
  child: FloorChild,
  port: number,
  options: FloorOptions,
): Promise<FloorPart> {
  const load = (seconds: number) =>
    autocannon({
      url: `http://127.0.0.1:${String(port)}/orders`,
      connections: options.concurrency,
      duration: seconds,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(INSTANT_ORDER),
    });
  await load(options.warmUpSeconds);
  const cpuBefore = await child.cpuMs();
  const result = await load(options.windowSeconds);
  const cpuAfter = await child.cpuMs();
  const refused = result.errors + result.timeouts + result.non2xx;
  if (refused > 0) throw new Error(`floor part koa: ${String(refused)} requests not answered 202`);
  return partFigures(
    { ops: 0, cpuMs: cpuBefore, redis: null },
    { ops: result['2xx'], cpuMs: cpuAfter, redis: null },
    result.duration,
  );
}

async function measurePart(
  part: FloorPartName,
  env: Record<string, string>,
  options: FloorOptions,
): Promise<FloorPart> {
  const child = FloorChild.spawn(part, env, options.concurrency);
  try {
    const { port } = await child.ready();
    if (part !== 'koa') return await measureSelfDriven(child, options, part === 'bullmq');
    if (port === undefined) throw new Error('floor part koa: no port');
    return await measureServer(child, port, options);
  } finally {
    await child.stop();
  }
}

/** The publish part's exchange and queue, deleted whether its child got to them or not. */
async function deleteBrokerObjects(exchange: string): Promise<void> {
  const connection = await connect(services.rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue(floorQueueOf(exchange));
    await channel.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}

/**
 * The floor: each part of the order pipeline alone, one after another so none shares the box
 * with another, at the end-to-end concurrency. Each part's work runs in a process of its own,
 * and the CPU read is that process's alone over the measured window, per operation. The sum
 * is what an order would cost a service that did nothing but call these libraries.
 *
 * Every part uses the scenario's own database, queue and exchange (one BenchStack's names),
 * removed at the end whether the parts succeeded or not.
 */
export async function measureFloorScenario(options: FloorOptions): Promise<FloorResult> {
  const stack = new BenchStack('floor_parts');
  const measured: [FloorPartName, FloorPart][] = [];
  try {
    for (const part of FLOOR_PARTS)
      measured.push([part, await measurePart(part, stack.env, options)]);
  } finally {
    await deleteBrokerObjects(stack.env.ORDERS_EXCHANGE ?? '').catch((error: unknown) => {
      console.error('bench: floor: could not delete the broker objects:', error);
    });
    await stack.dispose();
  }
  const parts = Object.fromEntries(measured) as Record<FloorPartName, FloorPart>;
  return {
    concurrency: options.concurrency,
    windowSeconds: options.windowSeconds,
    parts,
    cpuMsPerOrder: round(sum(Object.values(parts).map((part) => part.cpuMsPerOp)), 2),
  };
}
