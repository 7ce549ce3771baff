/**
 * Floor part 1, the HTTP server alone: Koa with the body parsing the API's POST /orders uses
 * (@koa/bodyparser, JSON only, strict, the API's body limit) and one route that answers 202
 * with a small JSON body. The parent loads it with autocannon and reads this process's CPU.
 */
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { loadApiConfig } from '../../src/shared/config/config.js';
import { serveFloorPart } from './child.js';

await serveFloorPart(async () => {
  const config = loadApiConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const app = new Koa();
  app.silent = true;
  const router = new Router();
  router.post(
    '/orders',
    bodyParser({ enableTypes: ['json'], jsonLimit: config.bodyLimitBytes, jsonStrict: true }),
    (ctx) => {
      ctx.status = 202;
      ctx.body = { id: randomUUID(), status: 'PENDING' };
    },
  );
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
});
