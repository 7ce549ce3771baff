import { setTimeout as sleep } from 'node:timers/promises';
import { services } from '../../test/support/services.js';
import { countsPerOrder, readDependencyCounts, type CountsPerOrder } from '../dependency-counts.js';
import { cpuPerOrder, readCpu, type ProcessGroup } from '../process-cpu.js';
import { seedStoredOrders } from '../seed-orders.js';
import { peakRssMb } from '../../test/support/processes.js';
import { BenchStack } from '../stack.js';
import { round, summarize } from '../stats.js';
import { INSTANT_ORDER } from '../stubs.js';

export interface EndToEndResult {
  /** Orders already in the database before the run (seeded in bulk). */
  stored: number;
  orders: number;
  seconds: number;
  ordersPerSecond: number;
  acceptMs: { p50: number; p99: number };
  acceptToConfirmedMs: { p50: number; p99: number };
  /** CONFIRMED → the event on a bound queue. */
  eventLagMs: { p50: number; p99: number };
  cpuMsPerOrder: Record<ProcessGroup, number>;
  callsPerOrder: CountsPerOrder;
  peakRssMb: { api: number; worker: number };
}

const roundAll = <T extends Record<string, number>>(values: T, digits: number): T =>
  Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, round(value, digits)]),
  ) as T;

/**
 * `count` orders that the bench stubs confirm at once, posted as fast as 64 clients can, into
 * a database that already holds `stored` orders: the clock runs from the first POST until
 * every order is CONFIRMED and every event has reached a consumer. The API and the worker run
 * together, as in production, and what every process on the box spends is read around it.
 */
export async function measureEndToEnd(options: {
  count: number;
  stored: number;
}): Promise<EndToEndResult> {
  const stack = new BenchStack(`e2e${String(options.stored)}`);
  try {
    await stack.listen();
    await stack.startApi(); // creates the indexes, as a running service has them
    await seedStoredOrders(stack.database, options.stored);
    await stack.startWorker();
    if (stack.api === null || stack.worker === null) throw new Error('a process is gone');
    const own = { api: stack.api.pid, worker: stack.worker.pid };
    const urls = { api: stack.apiOpsUrl, worker: stack.workerUrl, redis: services.redisUrl };
    const [cpuBefore, callsBefore] = await Promise.all([readCpu(own), readDependencyCounts(urls)]);

    const started = Date.now();
    const sent = await stack.send(INSTANT_ORDER, options.count, 64);
    if (sent.errors > 0) throw new Error(`${sent.errors} orders were not accepted`);
    const ids = [...sent.accepted.keys()];
    const completedAt = await stack.eventsArrived(ids, 600_000);
    const seconds = (completedAt - started) / 1000;
    await sleep(500); // the last "published" records and metrics land
    const [cpuAfter, callsAfter] = await Promise.all([readCpu(own), readDependencyCounts(urls)]);

    const { acceptToConfirmedMs, eventLagsMs } = stack.confirmationTimes(ids);
    const accept = summarize(sent.latenciesMs);
    const latency = summarize(acceptToConfirmedMs);
    const lag = summarize(eventLagsMs);
    const calls = countsPerOrder(callsBefore, callsAfter, options.count);
    return {
      stored: options.stored,
      orders: options.count,
      seconds: round(seconds, 2),
      ordersPerSecond: round(options.count / seconds, 0),
      acceptMs: { p50: round(accept.p50), p99: round(accept.p99) },
      acceptToConfirmedMs: { p50: latency.p50, p99: latency.p99 },
      eventLagMs: { p50: lag.p50, p99: lag.p99 },
      cpuMsPerOrder: roundAll(cpuPerOrder(cpuBefore, cpuAfter, options.count), 2),
      callsPerOrder: {
        ...roundAll(
          {
            mongo: calls.mongo,
            redis: calls.redis,
            amqpPublishes: calls.amqpPublishes,
            http: calls.http,
          },
          2,
        ),
        mongoByCommand: roundAll(calls.mongoByCommand, 3),
        redisByCommand: roundAll(calls.redisByCommand, 2),
      },
      peakRssMb: {
        api: round(await peakRssMb(stack.api)),
        worker: round(await peakRssMb(stack.worker)),
      },
    };
  } finally {
    await stack.dispose();
  }
}
