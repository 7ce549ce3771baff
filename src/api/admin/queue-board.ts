import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { KoaAdapter } from '@bull-board/koa';
import type { Queue } from 'bullmq';
import type { Middleware } from 'koa';
import { basicAuth, type Credentials } from './basic-auth.js';
import { sameOriginOnly } from './same-origin-only.js';

const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * Bull Board, the queue dashboard, at /admin/queues behind Basic authentication. It can retry
 * and remove jobs, so it is served only when credentials are configured (see config).
 */
export function queueBoard(options: { queues: Queue[]; credentials: Credentials }): Middleware {
  const serverAdapter = new KoaAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: options.queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
  });
  const board = serverAdapter.registerPlugin();
  const authenticate = basicAuth(options.credentials, 'order service administration');
  const fromHere = sameOriginOnly();

  return async (ctx, next) => {
    const path = ctx.path;
    if (path !== QUEUE_BOARD_PATH && !path.startsWith(`${QUEUE_BOARD_PATH}/`)) {
      await next();
      return;
    }
    (ctx.state as { metricsRoute?: string }).metricsRoute = QUEUE_BOARD_PATH;
    await authenticate(ctx, async () => {
      await fromHere(ctx, async () => {
        await board(ctx, next);
      });
    });
  };
}
