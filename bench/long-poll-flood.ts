/**
 * `npm run bench:flood`: 10,000 clients (or the count given) long-poll one PENDING order
 * (`Prefer: wait=20` on a family-box order, whose lookup takes 60 s) against the build, with
 * the worker running, and 100 orders are posted before and during the flood. Prints one JSON
 * line: how the polls were answered, the API's peak heap, and POST p99 unloaded and in the
 * flood. Reported, not asserted; the run fails only if the API does not survive.
 */
import { Pool } from 'undici';
import { services } from '../test/support/services.js';
import { BenchStack } from './stack.js';
import { withBenchStubs } from './stubs.js';

const POLLS = Number(process.argv[2] ?? 10_000);
const CLASSIC = { user_id: '7c11e1ce2741', product_code: 'classic-box' };
const FAMILY = { user_id: '7c11e1ce2741', product_code: 'family-box' };

async function heapUsedMb(apiUrl: string): Promise<number> {
  const text = await fetch(`${apiUrl}/metrics`).then((response) => response.text());
  return Number(/^nodejs_heap_size_used_bytes (\d+)/m.exec(text)?.[1] ?? 0) / 1e6;
}

async function main(): Promise<void> {
  await withBenchStubs(services, async () => {
    const stack = new BenchStack('flood');
    try {
      await stack.start();
      const postP99 = async () => {
        const { latenciesMs } = await stack.send(CLASSIC, 100, 4);
        const sorted = [...latenciesMs].sort((a, b) => a - b);
        return Math.round(sorted[Math.ceil(sorted.length * 0.99) - 1] ?? NaN);
      };
      const unloadedP99 = await postP99();
      const [orderId] = (await stack.send(FAMILY, 1, 1)).accepted.keys();
      const pool = new Pool(stack.apiUrl, { connections: POLLS, pipelining: 0 });
      const answers = { ok: 0, waited: 0, overloaded: 0, errors: {} as Record<string, number> };
      const answered = () =>
        answers.ok +
        answers.overloaded +
        Object.values(answers.errors).reduce((sum, count) => sum + count, 0);
      let peakHeapMb = 0;
      const watch = setInterval(() => {
        heapUsedMb(stack.apiUrl)
          .then((mb) => (peakHeapMb = Math.max(peakHeapMb, mb)))
          .catch(() => undefined);
      }, 500);
      const started = Date.now();
      const polls = Promise.all(
        Array.from({ length: POLLS }, async () => {
          try {
            const response = await pool.request({
              method: 'GET',
              path: `/orders/${String(orderId)}`,
              headers: { prefer: 'wait=20' },
              headersTimeout: 60_000,
              bodyTimeout: 60_000,
            });
            await response.body.dump();
            if (response.statusCode === 200) answers.ok++;
            if (response.statusCode === 503) answers.overloaded++;
            if (response.headers['preference-applied'] !== undefined) answers.waited++;
          } catch (error) {
            const code = (error as { code?: string }).code ?? 'error';
            answers.errors[code] = (answers.errors[code] ?? 0) + 1;
          }
        }),
      );
      // POST p99 in the flood: once every poll that is not held waiting has its answer.
      while (answered() < POLLS - 2000 && Date.now() - started < 40_000)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const floodP99 = await postP99();
      await polls;
      clearInterval(watch);
      await pool.close();
      const alive = stack.api?.exitCode === null && stack.api.signalCode === null;
      console.log(
        JSON.stringify({
          polls: POLLS,
          ...answers,
          peakHeapMb: Math.round(peakHeapMb),
          unloadedP99,
          floodP99,
          alive,
        }),
      );
      if (!alive) throw new Error('the API did not survive the flood');
    } finally {
      await stack.dispose();
    }
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
