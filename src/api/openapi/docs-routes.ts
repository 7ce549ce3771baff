import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import Router from '@koa/router';
// The path helper alone: the package's main module would load the 1.7 MB browser bundle.
import getAbsoluteFSPath from 'swagger-ui-dist/absolute-path.js';
import { ProblemError } from '../http/problem.js';
import { PROBLEMS } from '../http/problem-responses.js';
// The image holds src/ alone, so the API carries docs/asyncapi.yaml as this JSON copy.
import asyncApiDocument from './asyncapi-document.json' with { type: 'json' };
import { docsPage } from './docs-page.js';
import { ASYNCAPI_URL, DOCS_ASSETS_URL, DOCS_URL, OPENAPI_URL } from './docs-urls.js';
import type { OpenApiDocument } from './openapi-document.js';
import { swaggerUiAsset } from './swagger-ui-assets.js';

/** The assets change only with the swagger-ui-dist version, so browsers may keep them a while. */
const ASSET_CACHE_CONTROL = 'public, max-age=3600';

/**
 * `GET /openapi.json` (the document, serialised once), `GET /asyncapi.json` (the events'
 * AsyncAPI document) and the interactive docs at `GET /docs`, Swagger UI served from the
 * installed swagger-ui-dist package.
 */
export function docsRoutes(document: OpenApiDocument): Router {
  const router = new Router();
  const documentJson = JSON.stringify(document);
  const asyncApiJson = JSON.stringify(asyncApiDocument);
  const page = docsPage({ openApiUrl: OPENAPI_URL, assetsUrl: DOCS_ASSETS_URL });
  const assetsDirectory = getAbsoluteFSPath();

  router.get(OPENAPI_URL, (ctx) => {
    ctx.type = 'application/json';
    ctx.body = documentJson;
  });

  router.get(ASYNCAPI_URL, (ctx) => {
    ctx.type = 'application/json';
    ctx.body = asyncApiJson;
  });

  router.get(DOCS_URL, (ctx) => {
    ctx.type = 'text/html';
    ctx.set('Content-Security-Policy', page.contentSecurityPolicy);
    ctx.body = page.html;
  });

  router.get(`${DOCS_ASSETS_URL}/:file`, async (ctx) => {
    const asset = swaggerUiAsset(ctx.params.file ?? '');
    if (asset === undefined) throw new ProblemError(PROBLEMS.notFound);
    const path = join(assetsDirectory, asset.fileName);
    const { size } = await stat(path);
    ctx.type = asset.contentType;
    ctx.length = size;
    ctx.set('Cache-Control', ASSET_CACHE_CONTROL);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = createReadStream(path);
  });

  return router;
}
