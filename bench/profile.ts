/**
 * `npm run bench:profile`: where the API and the worker spend their CPU under the end-to-end
 * load. Runs both processes with `node --cpu-prof`, posts orders as fast as 64 clients can
 * until every event has arrived, stops the processes gracefully (a profile is written at
 * exit), and prints each process's self time by package and its heaviest functions. The
 * `.cpuprofile` files stay in bench/results/profiles/ for Chrome DevTools.
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { services } from '../test/support/services.js';
import { BenchStack, RESULTS_DIR } from './stack.js';
import { INSTANT_ORDER, withBenchStubs } from './stubs.js';

const ORDERS = Number(process.argv[2] ?? 5000);
const PROFILES_DIR = `${RESULTS_DIR}profiles/`;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<package>, the project's own file, or the kind of frame V8 reports. */
function ownerOf(url: string, functionName: string): string {
  if (url === '') return `(${functionName || 'native'})`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency?.[1] !== undefined) return dependency[1];
  if (url.startsWith('node:')) return url;
  const own = /\/dist\/(.+)$/.exec(url);
  return own?.[1] ?? url;
}

function summarize(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[index] ?? 0;
    if (node === undefined) return;
    const { url, functionName, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') return;
    total += delta;
    const owner = ownerOf(url, functionName);
    owners.set(owner, (owners.get(owner) ?? 0) + delta);
    const name = `${functionName || '(anonymous)'} ${owner}:${String(lineNumber + 1)}`;
    functions.set(name, (functions.get(name) ?? 0) + delta);
  });
  const top = (entries: Map<string, number>, count: number) =>
    [...entries.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${name}`);
  return { totalMs: total / 1000, owners: top(owners, 15), functions: top(functions, 20) };
}

async function main(): Promise<void> {
  await rm(PROFILES_DIR, { recursive: true, force: true });
  await mkdir(PROFILES_DIR, { recursive: true });
  await withBenchStubs(services, async () => {
    const stack = new BenchStack('profile', {}, ['--cpu-prof', `--cpu-prof-dir=${PROFILES_DIR}`]);
    try {
      await stack.start();
      const sent = await stack.send(INSTANT_ORDER, ORDERS, 64);
      await stack.confirmed([...sent.accepted.keys()], 600_000);
      await stack.stopGracefully();
    } finally {
      await stack.dispose();
    }
  });
  for (const file of await readdir(PROFILES_DIR)) {
    const profile = JSON.parse(await readFile(`${PROFILES_DIR}${file}`, 'utf8')) as CpuProfile;
    const summary = summarize(profile);
    console.log(
      `\n${file}: ${summary.totalMs.toFixed(0)} ms busy, ${(summary.totalMs / ORDERS).toFixed(2)} ms per order`,
    );
    console.log(' by package or file:');
    console.log(summary.owners.join('\n'));
    console.log(' heaviest functions (self time):');
    console.log(summary.functions.join('\n'));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('profile failed:', error);
    process.exit(1);
  },
);
