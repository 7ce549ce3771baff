import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { livenessSchema, readinessSchema } from './health-schemas.js';
import { noStoreHeader } from './http-headers.js';
import { jsonResponse, textResponse } from './responses.js';

/** Health and metrics: for orchestrators and Prometheus, answered even while stopping. */
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
          'once) and named in the answer either way.',
        responses: {
          '200': jsonResponse(
            'Ready, or degraded (an optional dependency is down).',
            readinessSchema,
            noStore,
          ),
          '503': jsonResponse(
            'Unavailable (a required dependency is down) or stopping.',
            readinessSchema,
            noStore,
          ),
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'getMetrics',
        tags: ['Monitoring'],
        summary: 'Prometheus metrics',
        description:
          'The Prometheus text exposition format (`text/plain; version=0.0.4`): request ' +
          'durations by route, orders accepted, and the process defaults.',
        responses: { '200': textResponse('The metrics.', 'text/plain', noStore) },
      },
    },
  };
}
