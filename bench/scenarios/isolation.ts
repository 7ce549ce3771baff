import { setTimeout as sleep } from 'node:timers/promises';
import { BenchStack } from '../stack.js';
import { round, summarize } from '../stats.js';

const USER = '7c11e1ce2741';
const order = (product_code: string) => ({ user_id: USER, product_code });

export interface IsolationResult {
  slow: number;
  failing: number;
  classic: number;
  unloadedP99Ms: number;
  loadedP99Ms: number;
  ratio: number;
}

/**
 * Classic-box orders alone, then again while `slow` family-box (60 s) and `failing`
 * veggie-box (HTTP 500) orders are in flight: how much the faulty resources delay the
 * healthy one.
 */
export async function measureIsolation(options: {
  slow: number;
  failing: number;
  classic: number;
}): Promise<IsolationResult> {
  const stack = new BenchStack('isolation');
  const classicP99 = async () => {
    // One client posting every 25 ms (about 35 orders/s), alone and beside the faulty ones.
    const sent = await stack.send(order('classic-box'), options.classic, 1, 25);
    if (sent.errors > 0 || sent.accepted.size === 0)
      throw new Error(`classic-box: ${sent.errors} of ${options.classic} refused`);
    const { acceptToConfirmedMs } = await stack.confirmed([...sent.accepted.keys()], 60_000);
    return summarize(acceptToConfirmedMs).p99;
  };
  try {
    await stack.start();
    const unloadedP99Ms = await classicP99();
    const faulty = await Promise.all([
      stack.send(order('family-box'), options.slow, 32),
      stack.send(order('veggie-box'), options.failing, 32),
    ]);
    const refused = faulty.reduce((sum, sent) => sum + sent.errors, 0);
    if (refused > 0) throw new Error(`${refused} faulty orders were refused`);
    // In flight: every one of them has been picked up by the worker.
    const deadline = Date.now() + 30_000;
    while ((await stack.waitingJobs()) > 0) {
      if (Date.now() > deadline) throw new Error('the faulty orders were not all picked up');
      await sleep(100);
    }
    const loadedP99Ms = await classicP99();
    return {
      ...options,
      unloadedP99Ms,
      loadedP99Ms,
      ratio: round(loadedP99Ms / unloadedP99Ms, 2),
    };
  } finally {
    await stack.dispose();
  }
}
