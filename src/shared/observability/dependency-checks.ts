import type { Db } from 'mongodb';
import type { Redis } from 'ioredis';

/** One thing a process needs in order to do its work, and how to tell whether it answers. */
export interface DependencyCheck {
  name: string;
  check(): Promise<void>;
}

export function mongoCheck(db: Db): DependencyCheck {
  return {
    name: 'mongodb',
    check: async () => {
      await db.command({ ping: 1 });
    },
  };
}

export function redisCheck(redis: Redis): DependencyCheck {
  return {
    name: 'redis',
    check: async () => {
      await redis.ping();
    },
  };
}
