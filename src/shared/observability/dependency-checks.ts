import type { Db } from 'mongodb';
import { evictionWarning, readEvictionPolicy } from '../queue/eviction-policy.js';
import { isCluster, type RedisConnection } from '../queue/redis-connection.js';

/**
 * One thing a process talks to, and how to tell whether it answers. A required one is needed
 * to do the process's work at all; the others are reported, but the process copes without
 * them (it was built to: the outbox waits for the broker, the recovery sweep for Redis).
 */
export interface DependencyCheck {
  name: string;
  required: boolean;
  /** Rejects when the dependency does not answer. */
  check(): Promise<void>;
  /** Once it answered: something wrong with how it runs, which does not stop the work. */
  warning?(): Promise<string | null>;
}

export function mongoCheck(db: Db, required: boolean): DependencyCheck {
  return {
    name: 'mongodb',
    required,
    check: async () => {
      await db.command({ ping: 1 });
    },
  };
}

/**
 * Redis answers; a `maxmemory-policy` under which it may evict jobs is named as a warning. A
 * cluster must also say it serves every slot: a PING reaches one node, which may answer while
 * the slots of a failed master, and the jobs in them, cannot be reached.
 */
export function redisCheck(redis: RedisConnection, required: boolean): DependencyCheck {
  return {
    name: 'redis',
    required,
    check: async () => {
      if (!isCluster(redis)) {
        await redis.ping();
        return;
      }
      const info = await redis.cluster('INFO');
      const state = /^cluster_state:(\w+)/m.exec(info)?.[1] ?? 'unknown';
      if (state !== 'ok') throw new Error(`cluster_state is ${state}`);
    },
    warning: async () => evictionWarning(await readEvictionPolicy(redis)),
  };
}

/** The broker, through a connection the process keeps (see BrokerConnection). */
export function rabbitmqCheck(
  broker: { ensureConnected(): Promise<void> },
  required: boolean,
): DependencyCheck {
  return { name: 'rabbitmq', required, check: () => broker.ensureConnected() };
}
