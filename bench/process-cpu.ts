import { readFile, readdir } from 'node:fs/promises';

/** The processes one bench run shares the box with, grouped as the report shows them. */
export type ProcessGroup =
  'api' | 'worker' | 'ferretdb' | 'postgresql' | 'wiremock' | 'rabbitmq' | 'redis' | 'bench';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * CPU time from /proc/<pid>/stat: user + system (fields 14–15) plus that of children already
 * waited for (16–17), so PostgreSQL backends that ended between two readings still count.
 */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${String(pid)}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

async function describe(pid: number): Promise<{ comm: string; cmdline: string }> {
  const [comm, cmdline] = await Promise.all([
    readFile(`/proc/${String(pid)}/comm`, 'utf8'),
    readFile(`/proc/${String(pid)}/cmdline`, 'utf8'),
  ]);
  return { comm: comm.trim(), cmdline: cmdline.replaceAll('\0', ' ') };
}

function groupOf(
  pid: number,
  { comm, cmdline }: { comm: string; cmdline: string },
  own: { api: number | undefined; worker: number | undefined },
): ProcessGroup | null {
  if (pid === own.api) return 'api';
  if (pid === own.worker) return 'worker';
  if (pid === process.pid) return 'bench';
  if (comm === 'ferretdb') return 'ferretdb';
  if (comm === 'postgres') return 'postgresql';
  if (comm === 'redis-server') return 'redis';
  if (comm === 'beam.smp') return 'rabbitmq';
  if (comm === 'java' && cmdline.includes('wiremock')) return 'wiremock';
  return null;
}

export type CpuReading = Record<ProcessGroup, number>;

/** CPU milliseconds used so far by each group of processes on this machine. */
export async function readCpu(own: {
  api: number | undefined;
  worker: number | undefined;
}): Promise<CpuReading> {
  const reading: CpuReading = {
    api: 0,
    worker: 0,
    ferretdb: 0,
    postgresql: 0,
    wiremock: 0,
    rabbitmq: 0,
    redis: 0,
    bench: 0,
  };
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const group = groupOf(pid, await describe(pid), own);
      if (group !== null) reading[group] += await cpuMs(pid);
    } catch {
      // it ended while we looked
    }
  }
  return reading;
}

/** CPU milliseconds per order of each group between two readings. */
export function cpuPerOrder(
  before: CpuReading,
  after: CpuReading,
  orders: number,
): Record<ProcessGroup, number> {
  return Object.fromEntries(
    Object.entries(after).map(([group, ms]) => [
      group,
      (ms - before[group as ProcessGroup]) / orders,
    ]),
  ) as Record<ProcessGroup, number>;
}
