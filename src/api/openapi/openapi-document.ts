import { createDocument } from 'zod-openapi';
import { identifier } from '../orders/order-request.js';
import { documentationOperations } from './documentation-operations.js';
import { monitoringOperations } from './monitoring-operations.js';
import { orderOperations } from './order-operations.js';

export type OpenApiDocument = ReturnType<typeof createDocument>;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Each documented path with the methods it has operations for. */
export function servedMethods(document: OpenApiDocument): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(document.paths ?? {}).map(([path, item]) => [
      path,
      Object.keys(item).filter((key) => HTTP_METHODS.includes(key)),
    ]),
  );
}

const DESCRIPTION = `
Accept-then-process orders: \`POST /orders\` stores an order and answers 202 at once; a worker
then looks up its user and product and makes it CONFIRMED or FAILED. Read it back with
\`GET /orders/{id}\` (optionally long-polling with \`Prefer: wait=N\`).

Every error is an RFC 9457 problem document (\`application/problem+json\`); branch on its
\`type\` and the status. Besides the answers listed per operation, any request may get
404 (no such path), 405 with \`Allow\` (a method the path does not serve), or 500 (an
unexpected fault, never with internals), all as problem documents. Every response carries
\`X-Request-Id\`.

Authentication (\`AUTH_MODE\`): none by default; with \`jwt\` or \`api-key\` every order
operation needs \`Authorization: Bearer …\`, a caller creates and reads only its own orders
(someone else's answers 404) unless its scopes say otherwise, and Idempotency-Keys are kept
per caller.

Not described here: metrics and the detailed readiness (on the operations port, OPS_PORT),
and what is for operators (the queue dashboard at \`/admin/queues\`, Bull Board, and the
re-drives of FAILED orders under \`/admin/orders\`, see docs/operations.md), served only when
administrator credentials or authentication are configured.
`.trim();

/**
 * The OpenAPI 3.1 document of the API, rendered from the zod schemas the API validates
 * with (and the order resource's schema). Built once, at start-up.
 */
export function createOpenApiDocument(): OpenApiDocument {
  return createDocument({
    openapi: '3.1.0',
    info: { title: 'Order service API', version: '1.0.0', description: DESCRIPTION },
    tags: [
      { name: 'Orders', description: 'Accept, list and read orders.' },
      { name: 'Monitoring', description: 'Health and metrics.' },
      {
        name: 'Documentation',
        description:
          'This document, its interactive page, and the AsyncAPI document of the events.',
      },
    ],
    paths: {
      ...orderOperations(),
      ...monitoringOperations(),
      ...documentationOperations(),
    },
    // A shared instance (not a `.meta` copy), so every field it checks refers to one
    // component: order requests, the list filter and the order resource.
    components: {
      schemas: { Identifier: identifier },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description:
            'With AUTH_MODE=jwt: a JWT from the configured issuer, for the configured audience, ' +
            'whose `sub` is the user it acts for and whose `scope` grants orders:write, ' +
            'orders:read, orders:write:any (orders for any user) or orders:read:any (every ' +
            'order). With AUTH_MODE=api-key: an API key, with the scopes configured for it.',
        },
      },
    },
  });
}
