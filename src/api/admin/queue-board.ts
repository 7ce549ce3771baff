import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { KoaAdapter } from '@bull-board/koa';
import { Queue } from 'bullmq';
import type { Middleware } from 'koa';
import type { RedisConnection } from '../../shared/queue/redis-connection.js';
import type { RequestState } from '../http/request-context.js';
import type { AdminSignIn } from './admin-sign-in.js';
import { sameOriginOnly } from './same-origin-only.js';

const QUEUE_BOARD_PATH = '/admin/queues';

export interface QueueBoard {
  middleware: Middleware<RequestState>;
  close(): Promise<void>;
}

/**
 * Bull Board, the queue dashboard, at /admin/queues behind Basic authentication. It can retry
 * and remove jobs, so it is served only when credentials are configured (see config). It
 * reads the order queue through a BullMQ queue of its own on the given connection.
 */
export function queueBoard(options: {
  queueName: string;
  connection: RedisConnection;
  /** The order queue's BullMQ prefix (BullMQ's own, `bull`, when not given). */
  prefix?: string;
  /** The administrator's sign-in (adminSignIn), shared with the other admin surfaces. */
  signIn: AdminSignIn;
}): QueueBoard {
  const queue = new Queue(options.queueName, {
    connection: options.connection,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
  });
  queue.on('error', () => {
    // The connection's owner reports its errors; without a listener BullMQ prints to stderr.
  });
  const serverAdapter = new KoaAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter });
  const board = serverAdapter.registerPlugin();
  const authenticate = options.signIn.middleware;
  const fromHere = sameOriginOnly();

  const middleware: Middleware<RequestState> = async (ctx, next) => {
    const path = ctx.path;
    if (path !== QUEUE_BOARD_PATH && !path.startsWith(`${QUEUE_BOARD_PATH}/`)) {
      await next();
      return;
    }
    (ctx.state as { metricsRoute?: string }).metricsRoute = QUEUE_BOARD_PATH;
    // The board can retry and remove jobs: no other site may frame it (clickjacking).
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Content-Security-Policy', "frame-ancestors 'none'");
    await authenticate(ctx, async () => {
      await fromHere(ctx, async () => {
        await board(ctx, next);
      });
    });
  };
  return { middleware, close: () => queue.close() };
}
