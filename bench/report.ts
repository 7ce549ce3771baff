import { cpus, totalmem } from 'node:os';
import type { ProcessGroup } from './process-cpu.js';
import type { AcceptPathResult } from './scenarios/accept-path.js';
import type { EndToEndResult } from './scenarios/end-to-end.js';
import type { IsolationResult } from './scenarios/isolation.js';
import type { SeedLatencyResult } from './scenarios/seed-latency.js';
import { round } from './stats.js';

export interface BenchResults {
  quick: boolean;
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string };
  acceptPath: AcceptPathResult;
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

/** The targets of the cost-per-order issue, checked against one run's figures. */
export function targets(results: BenchResults): Target[] {
  const { acceptPath: accept, seedLatency: seed } = results;
  const { runs, empty, fullest } = endToEndRuns(results);
  const throughputRatio = round(fullest.ordersPerSecond / empty.ordersPerSecond, 2);
  const acceptRatio = round(fullest.acceptMs.p99 / empty.acceptMs.p99, 2);
  const ownCpu = round(empty.cpuMsPerOrder.api + empty.cpuMsPerOrder.worker, 2);
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
      name: `end to end at ${fullest.stored} stored ÷ at ${empty.stored}`,
      measured: `${throughputRatio} (${fullest.ordersPerSecond} / ${empty.ordersPerSecond} orders/s)`,
      wanted: '≥ 0.8',
      met: throughputRatio >= 0.8,
    },
    {
      name: `accept p99 at ${fullest.stored} stored ÷ at ${empty.stored}`,
      measured: `${acceptRatio} (${fullest.acceptMs.p99} / ${empty.acceptMs.p99} ms)`,
      wanted: '≤ 1.25',
      met: acceptRatio <= 1.25,
    },
    {
      name: 'accept with the worker running, 64 connections',
      measured: `${headline.requestsPerSecond} req/s, p99 ${headline.p99Ms} ms, ${headline.errors} errors`,
      wanted: '≥ 1,000 req/s, p99 ≤ 50 ms, 0 errors',
      met: headline.requestsPerSecond >= 1000 && headline.p99Ms <= 50 && headline.errors === 0,
    },
    {
      name: `end to end, confirmed and published (${empty.stored} stored)`,
      measured: `${empty.ordersPerSecond} orders/s`,
      wanted: '≥ 500 orders/s',
      met: empty.ordersPerSecond >= 500,
    },
    {
      name: 'CPU per order, API + worker',
      measured: `${ownCpu} ms (${empty.cpuMsPerOrder.api} + ${empty.cpuMsPerOrder.worker})`,
      wanted: '≤ 1.5 ms',
      met: ownCpu <= 1.5,
    },
    {
      name: 'MongoDB commands per order',
      measured: String(empty.callsPerOrder.mongo),
      wanted: '≤ 1.5',
      met: empty.callsPerOrder.mongo <= 1.5,
    },
    {
      name: 'peak RSS',
      measured: `API ${apiRss} MB, worker ${workerRss} MB`,
      wanted: 'API ≤ 150 MB, worker ≤ 250 MB',
      met: apiRss <= 150 && workerRss <= 250,
    },
    {
      name: 'seed latency, case 1 p50 / 300 ms',
      measured: `${seed.p50Ratio} (${seed.acceptToConfirmedMs.p50} ms)`,
      wanted: '≤ 1.15',
      met: seed.p50Ratio <= 1.15,
    },
    {
      name: 'event lag CONFIRMED → bound queue, p99 (worst run)',
      measured: `${worstLag} ms`,
      wanted: '≤ 1,000 ms',
      met: worstLag <= 1000,
    },
  ];
}

export function markdown(results: BenchResults): string {
  const { acceptPath: accept, seedLatency: seed, isolation, machine: box } = results;
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
    `| Redis commands | ${runs.map((run) => String(run.callsPerOrder.redis)).join(' | ')} |`,
    `| AMQP publishes | ${runs.map((run) => String(run.callsPerOrder.amqpPublishes)).join(' | ')} |`,
    `| HTTP lookups | ${runs.map((run) => String(run.callsPerOrder.http)).join(' | ')} |`,
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
