import { BenchStack, peakRssMb } from '../stack.js';
import { round, summarize } from '../stats.js';
import { INSTANT_ORDER } from '../stubs.js';

export interface EndToEndResult {
  orders: number;
  seconds: number;
  ordersPerSecond: number;
  acceptToConfirmedMs: { p50: number; p99: number };
  peakRssMb: { api: number; worker: number };
}

/**
 * `count` orders that the bench stubs confirm at once, posted as fast as 64 clients can:
 * the clock runs from the first POST until every order is CONFIRMED and every event has
 * reached a consumer.
 */
export async function measureEndToEnd(options: { count: number }): Promise<EndToEndResult> {
  const stack = new BenchStack('e2e');
  try {
    await stack.start();
    const started = Date.now();
    const sent = await stack.send(INSTANT_ORDER, options.count, 64);
    if (sent.errors > 0) throw new Error(`${sent.errors} orders were not accepted`);
    const { times, completedAt } = await stack.confirmed([...sent.accepted.keys()], 300_000);
    const seconds = (completedAt - started) / 1000;
    const latency = summarize([...times.values()].map((time) => time.ms));
    if (stack.api === null || stack.worker === null) throw new Error('a process is gone');
    return {
      orders: options.count,
      seconds: round(seconds, 2),
      ordersPerSecond: round(options.count / seconds, 0),
      acceptToConfirmedMs: { p50: latency.p50, p99: latency.p99 },
      peakRssMb: {
        api: round(await peakRssMb(stack.api)),
        worker: round(await peakRssMb(stack.worker)),
      },
    };
  } finally {
    await stack.dispose();
  }
}
