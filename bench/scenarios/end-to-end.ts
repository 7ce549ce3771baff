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
    const events = await stack.listen();
    await stack.startApi();
    await stack.startWorker();
    const started = Date.now();
    const sent = await stack.send(INSTANT_ORDER, options.count, 64);
    if (sent.errors > 0) throw new Error(`${sent.errors} orders were not accepted`);
    const ids = [...sent.accepted.keys()];
    const times = await stack.settled(ids, 300_000);
    const expected = new Set(ids);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const seen = new Set(
        events.deliveries.map((delivery) => delivery.orderId).filter((id) => expected.has(id)),
      );
      if (seen.size === expected.size) break;
      if (Date.now() > deadline) throw new Error(`${expected.size - seen.size} events missing`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = (Date.now() - started) / 1000;
    const failed = [...times.values()].filter((time) => time.status !== 'CONFIRMED').length;
    if (failed > 0) throw new Error(`${failed} orders FAILED; the bench stubs should confirm all`);
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
