import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { livenessSchema, publicReadinessSchema } from './health-schemas.js';
import { noStoreHeader } from './http-headers.js';
import { jsonResponse } from './responses.js';

/**
 * Health for load balancers, answered even while stopping. Metrics and the detailed
 * readiness are on the operations port (OPS_PORT), which is not part of this API.
 */
export function monitoringOperations(): ZodOpenApiPathsObject {
  const noStore = { headers: { 'Cache-Control': noStoreHeader } };
  return {
    '/health/live': {
      get: {
        operationId: 'checkLiveness',
        tags: ['Monitoring'],
        summary: 'Liveness',
        description: 'The process runs; restart it if this fails. Checks no dependency.',
        responses: { '200': jsonResponse('The process runs.', livenessSchema, noStore) },
      },
    },
    '/health/ready': {
      get: {
        operationId: 'checkReadiness',
        tags: ['Monitoring'],
        summary: 'Readiness',
        description:
          'Whether to send this instance traffic: every dependency is checked (1 s each, at ' +
          'once). Only the status is shown here; the operations port (OPS_PORT) also names ' +
          'each dependency and its error.',
        responses: {
          '200': jsonResponse(
            'Ready, or degraded (an optional dependency is down).',
            publicReadinessSchema,
            noStore,
          ),
          '503': jsonResponse(
            'Unavailable (a required dependency is down) or stopping.',
            publicReadinessSchema,
            noStore,
          ),
        },
      },
    },
  };
}
