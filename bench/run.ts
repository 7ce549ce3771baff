/**
 * `npm run bench` (`-- --quick` for a smoke run under a minute): measures the service built
 * in dist/ against the local services, prints a Markdown report and writes it as JSON to
 * bench/results/. Speed targets are reported, not asserted; the run fails only when the
 * bench itself cannot do its work (an order lost, refused or stuck).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { services } from '../test/support/services.js';
import { machine, markdown, type BenchResults } from './report.js';
import { measureAcceptPath } from './scenarios/accept-path.js';
import { measureEndToEnd } from './scenarios/end-to-end.js';
import { FLOOR_SIZES, measureFloorScenario } from './scenarios/floor.js';
import { measureIsolation } from './scenarios/isolation.js';
import { measureSeedLatency } from './scenarios/seed-latency.js';
import { RESULTS_DIR } from './stack.js';
import { withBenchStubs } from './stubs.js';

const quick = process.argv.includes('--quick');
const sizes = quick
  ? {
      acceptSeconds: 2,
      endToEnd: 300,
      stored: [0, 2_000],
      seed: 10,
      slow: 30,
      failing: 30,
      classic: 20,
    }
  : {
      acceptSeconds: 10,
      endToEnd: 5000,
      stored: [0, 10_000, 100_000],
      seed: 100,
      slow: 500,
      failing: 500,
      classic: 200,
    };

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const step = (what: string) => {
    console.error(`bench: ${what}`);
  };
  const results: BenchResults = await withBenchStubs(services, async () => {
    step('(a) accept path and its floor');
    const acceptPath = await measureAcceptPath({ connections: 64, durationS: sizes.acceptSeconds });
    step('floor: each part of the pipeline alone, 64 at once');
    const floor = await measureFloorScenario(quick ? FLOOR_SIZES.quick : FLOOR_SIZES.full);
    const endToEnd = [];
    for (const stored of sizes.stored) {
      step(`(b) end to end, ${sizes.endToEnd} orders, ${stored} stored`);
      endToEnd.push(await measureEndToEnd({ count: sizes.endToEnd, stored }));
    }
    step(`(c) seed latency, ${sizes.seed} orders`);
    const seedLatency = await measureSeedLatency({ count: sizes.seed });
    step(`(d) isolation`);
    const isolation = await measureIsolation({
      slow: sizes.slow,
      failing: sizes.failing,
      classic: sizes.classic,
    });
    return {
      quick,
      startedAt,
      machine: machine(),
      acceptPath,
      floor,
      endToEnd,
      seedLatency,
      isolation,
    };
  });
  const report = markdown(results);
  console.log(report);
  await mkdir(RESULTS_DIR, { recursive: true });
  const name = quick ? 'quick' : 'latest';
  await writeFile(`${RESULTS_DIR}${name}.json`, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(`${RESULTS_DIR}${name}.md`, report);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('bench failed:', error);
    process.exit(1);
  },
);
