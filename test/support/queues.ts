import { Queue } from 'bullmq';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { services } from './services.js';

/** Opens the named queue on a connection of its own for `use`, then closes both. */
async function withQueue<T>(name: string, use: (queue: Queue) => Promise<T>): Promise<T> {
  const redis = createRedisConnection(services.redisUrl, 'worker');
  const queue = new Queue(name, { connection: redis });
  try {
    return await use(queue);
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/** Jobs of the queue not picked up by a worker yet. */
export function waitingJobs(name: string): Promise<number> {
  return withQueue(name, (queue) => queue.getWaitingCount());
}

/** Jobs of the queue a worker is running now. */
export function activeJobs(name: string): Promise<number> {
  return withQueue(name, (queue) => queue.getActiveCount());
}

/** Removes the queue and every job in it (a run's throwaway queue). */
export function dropQueue(name: string): Promise<void> {
  return withQueue(name, (queue) => queue.obliterate({ force: true }));
}
