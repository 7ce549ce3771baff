/**
 * `npm run bench:flood`: 10,000 clients (or the count given) long-poll one PENDING order
 * (`Prefer: wait=20` on a family-box order, whose lookup takes 60 s) against the build, with
 * the worker running, and 100 orders are posted before the flood and 100 as it arrives. Prints one JSON
 * line: how the polls were answered, the API's peak heap, and POST p99 unloaded and in the
 * flood. Reported, not asserted; the run fails only if the API does not survive.
 */
import { floodLongPolls } from '../test/support/long-poll-flood.js';
import { services } from '../test/support/services.js';
import { BenchStack } from './stack.js';
import { withBenchStubs } from './stubs.js';

const POLLS = Number(process.argv[2] ?? 10_000);
const CLASSIC = { user_id: '7c11e1ce2741', product_code: 'classic-box' };
const FAMILY = { user_id: '7c11e1ce2741', product_code: 'family-box' };

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
      const { answers, beside: floodP99 } = await floodLongPolls(
        { url: stack.apiUrl, opsUrl: stack.apiOpsUrl },
        String(orderId),
        { polls: POLLS, waitSeconds: 20 },
        postP99,
      );
      const alive = stack.api?.exitCode === null && stack.api.signalCode === null;
      console.log(
        JSON.stringify({
          ...answers,
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
