import { BenchStack } from '../stack.js';
import { round, summarize } from '../stats.js';

/** The slowest dependency of use case 1: the user service answers after 300 ms. */
export const SLOWEST_SEED_DELAY_MS = 300;
const USE_CASE_1 = { user_id: '7c11e1ce2741', product_code: 'classic-box' };

export interface SeedLatencyResult {
  orders: number;
  acceptToConfirmedMs: { p50: number; p99: number };
  /** CONFIRMED → the event on a bound queue, at this steady (unsaturated) rate. */
  eventLagMs: { p50: number; p99: number };
  /** p50 over the slowest dependency's delay. */
  p50Ratio: number;
  p99Ratio: number;
}

/**
 * Use case 1 against the seed's stubs (user 300 ms, product 200 ms), from one client posting
 * every 25 ms (about 35 orders/s): the latency of one order, not of a queue a burst builds.
 */
export async function measureSeedLatency(options: { count: number }): Promise<SeedLatencyResult> {
  const stack = new BenchStack('seed');
  try {
    await stack.start();
    const sent = await stack.send(USE_CASE_1, options.count, 1, 25);
    if (sent.errors > 0) throw new Error(`${sent.errors} orders were not accepted`);
    const { acceptToConfirmedMs, eventLagsMs } = await stack.confirmed(
      [...sent.accepted.keys()],
      60_000,
    );
    const latency = summarize(acceptToConfirmedMs);
    const lag = summarize(eventLagsMs);
    return {
      orders: options.count,
      acceptToConfirmedMs: { p50: latency.p50, p99: latency.p99 },
      eventLagMs: { p50: lag.p50, p99: lag.p99 },
      p50Ratio: round(latency.p50 / SLOWEST_SEED_DELAY_MS, 2),
      p99Ratio: round(latency.p99 / SLOWEST_SEED_DELAY_MS, 2),
    };
  } finally {
    await stack.dispose();
  }
}
