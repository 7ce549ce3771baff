import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { ASYNCAPI_URL, DOCS_URL, OPENAPI_URL } from './docs-urls.js';
import { jsonResponse, textResponse } from './responses.js';

const openApiDocumentSchema = z
  .looseObject({
    openapi: z.string().regex(/^3\.1\.\d+$/),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.looseObject({})),
  })
  .meta({ description: 'An OpenAPI 3.1 document.' });

const asyncApiDocumentSchema = z
  .looseObject({
    asyncapi: z.string().regex(/^3\.0\.\d+$/),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    channels: z.record(z.string(), z.looseObject({})),
    operations: z.record(z.string(), z.looseObject({})),
  })
  .meta({ description: 'An AsyncAPI 3.0 document.' });

/** The API's description of itself (this document and the page that shows it) and of its events. */
export function documentationOperations(): ZodOpenApiPathsObject {
  return {
    [OPENAPI_URL]: {
      get: {
        operationId: 'getOpenApiDocument',
        tags: ['Documentation'],
        summary: 'This OpenAPI document',
        responses: { '200': jsonResponse('The OpenAPI 3.1 document.', openApiDocumentSchema) },
      },
    },
    [ASYNCAPI_URL]: {
      get: {
        operationId: 'getAsyncApiDocument',
        tags: ['Documentation'],
        summary: 'The AsyncAPI document of the events',
        description:
          'The `created_order` and `failed_order` events the worker publishes to RabbitMQ: ' +
          'channels, message schemas and AMQP bindings (docs/asyncapi.yaml).',
        responses: { '200': jsonResponse('The AsyncAPI 3.0 document.', asyncApiDocumentSchema) },
      },
    },
    [DOCS_URL]: {
      get: {
        operationId: 'getDocs',
        tags: ['Documentation'],
        summary: 'Interactive documentation',
        description: `Swagger UI for this document; its files are served under ${DOCS_URL}/assets.`,
        responses: { '200': textResponse('An HTML page.', 'text/html') },
      },
    },
  };
}
