/**
 * `npm run bench:floor` (`-- --quick` for shorter windows): the floor scenario alone, for a
 * quick look at what each part of the pipeline costs without a full bench run. Its table
 * goes to stdout. The service's cost to set it against needs the end-to-end scenario, so it
 * is taken from the last full report (bench/results/latest.json), which says so, when there
 * is one; nothing is written.
 */
import { readFile } from 'node:fs/promises';
import { floorSection, serviceCostOf, type BenchResults, type ServiceCost } from '../report.js';
import { FLOOR_SIZES, measureFloorScenario } from '../scenarios/floor.js';
import { RESULTS_DIR } from '../stack.js';

/** The service's cost from the last full report, or null when there is none to read. */
async function lastServiceCost(): Promise<ServiceCost | null> {
  try {
    const last = JSON.parse(await readFile(`${RESULTS_DIR}latest.json`, 'utf8')) as Pick<
      BenchResults,
      'endToEnd' | 'startedAt'
    >;
    return { ...serviceCostOf(last), from: `from the report of ${last.startedAt}` };
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  console.error(`bench: floor: each part of the pipeline alone${quick ? ' (quick)' : ''}`);
  const floor = await measureFloorScenario(quick ? FLOOR_SIZES.quick : FLOOR_SIZES.full);
  console.log(`${floorSection(floor, await lastServiceCost()).join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('bench:floor failed:', error);
    process.exit(1);
  },
);
