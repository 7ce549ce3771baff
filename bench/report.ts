import { cpus, totalmem } from 'node:os';
import type { AcceptPathResult } from './scenarios/accept-path.js';
import type { EndToEndResult } from './scenarios/end-to-end.js';
import type { IsolationResult } from './scenarios/isolation.js';
import type { SeedLatencyResult } from './scenarios/seed-latency.js';

export interface BenchResults {
  quick: boolean;
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string };
  acceptPath: AcceptPathResult;
  endToEnd: EndToEndResult;
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

/** The targets of the performance issue, checked against one run's figures. */
export function targets(results: BenchResults): Target[] {
  const { acceptPath: accept, endToEnd, seedLatency: seed, isolation } = results;
  return [
    {
      name: 'accept req/s ≥ 0.6 × floor',
      measured: `${accept.ratio} × (${accept.api.requestsPerSecond} / ${accept.floor.opsPerSecond})`,
      wanted: '≥ 0.6',
      met: accept.ratio >= 0.6,
    },
    {
      name: 'accept p99',
      measured: `${accept.api.p99Ms} ms`,
      wanted: '≤ 25 ms',
      met: accept.api.p99Ms <= 25,
    },
    {
      name: 'accept errors',
      measured: String(accept.api.errors),
      wanted: '0',
      met: accept.api.errors === 0,
    },
    {
      name: 'end to end, confirmed and published',
      measured: `${endToEnd.ordersPerSecond} orders/s`,
      wanted: '≥ 1000 orders/s',
      met: endToEnd.ordersPerSecond >= 1000,
    },
    {
      name: 'seed latency p50 / 300 ms',
      measured: `${seed.p50Ratio} (${seed.acceptToConfirmedMs.p50} ms)`,
      wanted: '≤ 1.15',
      met: seed.p50Ratio <= 1.15,
    },
    {
      name: 'isolation: loaded / unloaded classic-box p99',
      measured: `${isolation.ratio} (${isolation.loadedP99Ms} / ${isolation.unloadedP99Ms} ms)`,
      wanted: '≤ 1.5',
      met: isolation.ratio <= 1.5,
    },
    {
      name: 'API peak RSS',
      measured: `${Math.max(accept.api.peakRssMb, endToEnd.peakRssMb.api)} MB`,
      wanted: '≤ 150 MB',
      met: Math.max(accept.api.peakRssMb, endToEnd.peakRssMb.api) <= 150,
    },
    {
      name: 'worker peak RSS',
      measured: `${endToEnd.peakRssMb.worker} MB`,
      wanted: '≤ 250 MB',
      met: endToEnd.peakRssMb.worker <= 250,
    },
  ];
}

export function markdown(results: BenchResults): string {
  const { acceptPath: accept, endToEnd, seedLatency: seed, isolation, machine: box } = results;
  const lines = [
    `## Benchmark${results.quick ? ' (quick: smoke check, figures not comparable)' : ''}`,
    '',
    `${results.startedAt} · ${box.cpus} × ${box.cpuModel} · ${box.memoryGb} GB · Node ${box.node}`,
    '',
    '| scenario | result |',
    '| --- | --- |',
    `| (a) accept: POST /orders, 64 connections | ${accept.api.requestsPerSecond} req/s, p50 ${accept.api.p50Ms} ms, p99 ${accept.api.p99Ms} ms, max ${accept.api.maxMs} ms, ${accept.api.errors} errors |`,
    `| (a) floor: insert + enqueue, no HTTP, 64 at once | ${accept.floor.opsPerSecond} ops/s, p50 ${accept.floor.p50Ms} ms, p99 ${accept.floor.p99Ms} ms → ratio ${accept.ratio} |`,
    `| (b) end to end, ${endToEnd.orders} orders, instant stubs | ${endToEnd.seconds} s → ${endToEnd.ordersPerSecond} orders/s confirmed and published; accept → CONFIRMED p50 ${endToEnd.acceptToConfirmedMs.p50} ms, p99 ${endToEnd.acceptToConfirmedMs.p99} ms |`,
    `| (c) seed latency, ${seed.orders} × use case 1 | accept → CONFIRMED p50 ${seed.acceptToConfirmedMs.p50} ms (${seed.p50Ratio} × 300 ms), p99 ${seed.acceptToConfirmedMs.p99} ms (${seed.p99Ratio} ×) |`,
    `| (d) isolation, ${isolation.slow} family-box + ${isolation.failing} veggie-box in flight | classic-box p99 ${isolation.loadedP99Ms} ms vs ${isolation.unloadedP99Ms} ms unloaded → ${isolation.ratio} × |`,
    `| (e) peak RSS | API ${accept.api.peakRssMb} MB in (a), ${endToEnd.peakRssMb.api} MB in (b); worker ${endToEnd.peakRssMb.worker} MB in (b) |`,
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
