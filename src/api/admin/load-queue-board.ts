import type { RedisConnection } from '../../shared/queue/redis-connection.js';
import type { AdminSignIn } from './admin-sign-in.js';
import type { QueueBoard } from './queue-board.js';

/**
 * The queue board, loaded only when it is served: Bull Board and its UI weigh some 20 MB,
 * which an API without an administrator does not carry.
 */
export async function loadQueueBoard(
  queue: { name: string; prefix?: string },
  connection: RedisConnection,
  signIn: AdminSignIn,
): Promise<QueueBoard> {
  const { queueBoard } = await import('./queue-board.js');
  return queueBoard({ queueName: queue.name, connection, prefix: queue.prefix, signIn });
}
