import { cpus, totalmem } from 'node:os';
import type { ProcessGroup } from './process-cpu.js';
import type { AcceptPathResult } from './scenarios/accept-path.js';
import type { EndToEndResult } from './scenarios/end-to-end.js';
import type { FloorPartName, FloorResult } from './scenarios/floor.js';
import type { IsolationResult } from './scenarios/isolation.js';
import type { SeedLatencyResult } from './scenarios/seed-latency.js';
import { round } from './stats.js';

export interface BenchResults {
  quick: boolean;
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string };
  acceptPath: AcceptPathResult;
  /** Each part of the pipeline alone, what the service's own cost is set against. */
  floor: FloorResult;
  /** One run per number of stored orders, fewest first. */
  endToEnd: EndToEndResult[];
  seedLatency: SeedLatencyResult;
  isolation: IsolationResult;
}

export interface Target {
  name: string;
  measured: string;
  wanted: string;
  met: boolean;
}

export function machine(): BenchResults['machine'] {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
  };
}

const PROCESS_GROUPS: readonly ProcessGroup[] = [
  'api',
  'worker',
  'ferretdb',
  'postgresql',
  'redis',
  'rabbitmq',
  'wiremock',
  'bench',
];

function endToEndRuns(results: BenchResults) {
  const runs = results.endToEnd;
  const empty = runs[0];
  const fullest = runs[runs.length - 1];
  if (empty === undefined || fullest === undefined) throw new Error('no end-to-end run');
  return { runs, empty, fullest };
}

/**
 * The service's own CPU per order (API + worker) in the end-to-end run at the fewest stored
 * orders: the figure the floor scenario is set against. `from` says where it was read when
 * it is not this run's (bench:floor reads the last full report).
 */
export interface ServiceCost {
  api: number;
  worker: number;
  /** Orders stored before that end-to-end run. */
  stored: number;
  from?: string;
}

export function serviceCostOf(results: Pick<BenchResults, 'endToEnd'>): ServiceCost {
  const empty = results.endToEnd[0];
  if (empty === undefined) throw new Error('no end-to-end run');
  return {
    api: empty.cpuMsPerOrder.api,
    worker: empty.cpuMsPerOrder.worker,
    stored: empty.stored,
  };
}

const ownCpuOf = (cost: ServiceCost) => round(cost.api + cost.worker, 2);

/** How many times the floor the service spends per order; ≤ 2 is the target. */
const floorRatioOf = (cost: ServiceCost, floor: FloorResult) =>
  round(ownCpuOf(cost) / floor.cpuMsPerOrder, 2);

/** The targets of the cost-per-order issue, checked against one run's figures. */
export function targets(results: BenchResults): Target[] {
  const { acceptPath: accept, isolation, floor } = results;
  const { runs, empty, fullest } = endToEndRuns(results);
  const throughputRatio = round(fullest.ordersPerSecond / empty.ordersPerSecond, 2);
  const cost = serviceCostOf(results);
  const ownCpu = ownCpuOf(cost);
  const floorRatio = floorRatioOf(cost, floor);
  const worstLag = Math.max(...runs.map((run) => run.eventLagMs.p99));
  const apiRss = Math.max(
    accept.withWorker.peakRssMb,
    accept.api.peakRssMb,
    ...runs.map((run) => run.peakRssMb.api),
  );
  const workerRss = Math.max(...runs.map((run) => run.peakRssMb.worker));
  const headline = accept.withWorker;
  return [
    {
      name: `CPU per order, API + worker (${empty.stored} stored)`,
      measured: `${ownCpu} ms (${cost.api} + ${cost.worker})`,
      wanted: '≤ 1.4 ms',
      met: ownCpu <= 1.4,
    },
    {
      name: 'service cost ÷ floor scenario',
      measured: `${floorRatio} (${ownCpu} / ${floor.cpuMsPerOrder} ms)`,
      wanted: '≤ 2',
      met: floorRatio <= 2,
    },
    {
      name: `Redis commands per order (${empty.stored} stored)`,
      measured: String(empty.callsPerOrder.redis),
      wanted: '≤ 20',
      met: empty.callsPerOrder.redis <= 20,
    },
    {
      name: 'accept with the worker running, 64 connections',
      measured: `${headline.requestsPerSecond} req/s, p99 ${headline.p99Ms} ms, ${headline.errors} errors`,
      wanted: '≥ 1,000 req/s, p99 ≤ 100 ms, 0 errors',
      met: headline.requestsPerSecond >= 1000 && headline.p99Ms <= 100 && headline.errors === 0,
    },
    {
      name: 'event lag p99 at the end-to-end load (worst run)',
      measured: `${worstLag} ms`,
      wanted: '≤ 1,000 ms',
      met: worstLag <= 1000,
    },
    {
      name: 'isolation: classic-box p99 beside the faulty burst ÷ unloaded',
      measured: `${isolation.ratio} (${isolation.loadedP99Ms} / ${isolation.unloadedP99Ms} ms)`,
      wanted: '≤ 1.5',
      met: isolation.ratio <= 1.5,
    },
    {
      name: `end to end at ${fullest.stored} stored ÷ at ${empty.stored}`,
      measured: `${throughputRatio} (${fullest.ordersPerSecond} / ${empty.ordersPerSecond} orders/s)`,
      wanted: '≥ 0.9',
      met: throughputRatio >= 0.9,
    },
    {
      name: 'peak RSS',
      measured: `API ${apiRss} MB, worker ${workerRss} MB`,
      wanted: 'API ≤ 150 MB, worker ≤ 250 MB',
      met: apiRss <= 150 && workerRss <= 250,
    },
  ];
}

/** The most frequent commands of a breakdown, compactly: `evalsha 3, hset 5, …`. */
function topCommands(byCommand: Record<string, number>, count = 8): string {
  const sorted = Object.entries(byCommand).sort(([, a], [, b]) => b - a);
  const shown = sorted.slice(0, count).map(([name, calls]) => `${name} ${calls}`);
  return [...shown, ...(sorted.length > count ? ['…'] : [])].join(', ');
}

const FLOOR_PART_LABELS: Record<FloorPartName, string> = {
  koa: 'bare Koa POST (JSON body parser, 202 + small JSON)',
  bullmq: 'BullMQ add + process + complete, no work',
  insertMany: 'insertMany of the order (grouped, service indexes)',
  publish: 'confirmed persistent publish (created_order)',
};

/**
 * The floor scenario's table and the service's cost as a multiple of it; `cost` null when
 * there is no end-to-end figure to set against it.
 */
export function floorSection(floor: FloorResult, cost: ServiceCost | null): string[] {
  const redisCell = (part: FloorResult['parts'][FloorPartName]) =>
    part.redisCommandsPerOp === null
      ? '—'
      : `${part.redisCommandsPerOp} (${topCommands(part.redisByCommand ?? {})})`;
  const redisSum = Object.values(floor.parts).reduce(
    (total, part) => total + (part.redisCommandsPerOp ?? 0),
    0,
  );
  const ratioLine =
    cost === null
      ? 'service cost ÷ floor: no end-to-end figure to set against it (`npm run bench`)'
      : `service cost ÷ floor: ${floorRatioOf(cost, floor)} = ${ownCpuOf(cost)} ms (API ${cost.api} + worker ${cost.worker}, end to end at ${cost.stored} stored${cost.from === undefined ? '' : `, ${cost.from}`}) ÷ ${floor.cpuMsPerOrder} ms (wanted ≤ 2)`;
  return [
    `### Floor: each part alone, ${floor.concurrency} at once`,
    '',
    `CPU of the process doing each part's work only, over ${floor.windowSeconds} s after a warm-up.`,
    '',
    '| part | ops/s | CPU ms per op | Redis commands per op |',
    '| --- | --- | --- | --- |',
    ...Object.entries(floor.parts).map(
      ([name, part]) =>
        `| ${FLOOR_PART_LABELS[name as FloorPartName]} | ${part.opsPerSecond} | ${part.cpuMsPerOp} | ${redisCell(part)} |`,
    ),
    `| sum | — | ${floor.cpuMsPerOrder} | ${round(redisSum, 2)} |`,
    '',
    ratioLine,
  ];
}

export function markdown(results: BenchResults): string {
  const { acceptPath: accept, seedLatency: seed, isolation, floor, machine: box } = results;
  const { runs } = endToEndRuns(results);
  const acceptLine = (label: string, figures: AcceptPathResult['api']) =>
    `| ${label} | ${figures.requestsPerSecond} req/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, max ${figures.maxMs} ms, ${figures.errors} errors |`;
  const lines = [
    `## Benchmark${results.quick ? ' (quick: smoke check, figures not comparable)' : ''}`,
    '',
    `${results.startedAt} · ${box.cpus} × ${box.cpuModel} · ${box.memoryGb} GB · Node ${box.node}`,
    '',
    '| scenario | result |',
    '| --- | --- |',
    acceptLine('(a) accept, worker running: POST /orders, 64 connections', accept.withWorker),
    acceptLine('(a) accept, no worker (best case)', accept.api),
    `| (a) floor: insert + enqueue, no HTTP, 64 at once | ${accept.floor.opsPerSecond} ops/s, p50 ${accept.floor.p50Ms} ms, p99 ${accept.floor.p99Ms} ms |`,
    ...runs.map(
      (run) =>
        `| (b) end to end, ${run.orders} orders, ${run.stored} stored | ${run.seconds} s → ${run.ordersPerSecond} orders/s confirmed and published; accept p50 ${run.acceptMs.p50} ms, p99 ${run.acceptMs.p99} ms; accept → CONFIRMED p50 ${run.acceptToConfirmedMs.p50} ms, p99 ${run.acceptToConfirmedMs.p99} ms; event lag p50 ${run.eventLagMs.p50} ms, p99 ${run.eventLagMs.p99} ms |`,
    ),
    `| (c) seed latency, ${seed.orders} × use case 1 | accept → CONFIRMED p50 ${seed.acceptToConfirmedMs.p50} ms (${seed.p50Ratio} × 300 ms), p99 ${seed.acceptToConfirmedMs.p99} ms (${seed.p99Ratio} ×); event lag p50 ${seed.eventLagMs.p50} ms, p99 ${seed.eventLagMs.p99} ms |`,
    `| (d) isolation, ${isolation.slow} family-box + ${isolation.failing} veggie-box in flight | classic-box p99 ${isolation.loadedP99Ms} ms vs ${isolation.unloadedP99Ms} ms unloaded → ${isolation.ratio} × |`,
    `| (e) peak RSS | API ${accept.withWorker.peakRssMb} MB in (a); ${runs.map((run) => `API ${run.peakRssMb.api} MB, worker ${run.peakRssMb.worker} MB at ${run.stored} stored`).join('; ')} |`,
    '',
    '### Cost per order, end to end (every process on the box)',
    '',
    `| CPU ms per order | ${runs.map((run) => `${run.stored} stored`).join(' | ')} |`,
    `| --- | ${runs.map(() => '---').join(' | ')} |`,
    ...PROCESS_GROUPS.map(
      (group) =>
        `| ${group} | ${runs.map((run) => String(run.cpuMsPerOrder[group])).join(' | ')} |`,
    ),
    '',
    `| calls per order | ${runs.map((run) => `${run.stored} stored`).join(' | ')} |`,
    `| --- | ${runs.map(() => '---').join(' | ')} |`,
    `| MongoDB commands | ${runs
      .map(
        (run) =>
          `${run.callsPerOrder.mongo} (${Object.entries(run.callsPerOrder.mongoByCommand)
            .map(([command, count]) => `${command} ${count}`)
            .join(', ')})`,
      )
      .join(' | ')} |`,
    `| Redis commands | ${runs
      .map((run) => `${run.callsPerOrder.redis} (${topCommands(run.callsPerOrder.redisByCommand)})`)
      .join(' | ')} |`,
    `| AMQP publishes | ${runs.map((run) => String(run.callsPerOrder.amqpPublishes)).join(' | ')} |`,
    `| HTTP lookups | ${runs.map((run) => String(run.callsPerOrder.http)).join(' | ')} |`,
    '',
    ...floorSection(floor, serviceCostOf(results)),
    '',
    '| target | measured | wanted | met |',
    '| --- | --- | --- | --- |',
    ...targets(results).map(
      (target) =>
        `| ${target.name} | ${target.measured} | ${target.wanted} | ${target.met ? 'yes' : 'no'} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
