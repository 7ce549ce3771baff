import type { Cluster } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisClusterNodes } from './services.js';

/** What CLUSTER INFO says of the cluster's state, or why it could not be asked. */
async function clusterState(cluster: Cluster, timeoutMs: number): Promise<string> {
  try {
    const info = await Promise.race([
      cluster.cluster('INFO'),
      sleep(timeoutMs, undefined, { ref: false }).then(() => {
        throw new Error(`no answer within ${timeoutMs} ms`);
      }),
    ]);
    return /^cluster_state:(\w+)/m.exec(info)?.[1] ?? 'unknown';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Fails at once, saying how to start it, unless the local Redis Cluster serves every slot:
 * the cluster tests never skip, and never wait out their time limit for a cluster that is
 * not there.
 */
export async function requireClusterOk(cluster: Cluster): Promise<void> {
  const state = await clusterState(cluster, 5000);
  if (state !== 'ok') {
    throw new Error(
      `the Redis Cluster at ${redisClusterNodes} is not ok (${state}); start it with: npm run services:up`,
    );
  }
}

/** The port of the master serving `slot`, from CLUSTER SLOTS. */
export async function ownerOfSlot(cluster: Cluster, slot: number): Promise<number> {
  const ranges = await cluster.cluster('SLOTS');
  const [, , master] = ranges.find(([first, last]) => first <= slot && slot <= last) ?? [];
  if (master === undefined) throw new Error(`no master serves slot ${slot}`);
  return master[1];
}
