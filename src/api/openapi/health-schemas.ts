import { z } from 'zod';
import type { CheckResult, ReadinessStatus } from '../../shared/observability/readiness.js';
import type { SameType } from './same-type.js';

export const livenessSchema = z
  .object({ status: z.literal('ok') })
  .meta({ id: 'Liveness', description: 'The process runs.' });

const required = z.boolean().meta({
  description: 'Whether the service needs it to work at all; only these decide readiness.',
});

export const dependencyCheckSchema = z
  .discriminatedUnion('status', [
    z.object({
      status: z.literal('up'),
      required,
      warning: z.string().optional().meta({
        description:
          'It answers, but runs in a way that puts the service at risk (e.g. a Redis eviction policy other than noeviction).',
      }),
    }),
    z.object({
      status: z.literal('down'),
      required,
      error: z.string().meta({ description: 'Why the check failed.' }),
    }),
  ])
  .meta({ id: 'DependencyCheck', description: 'How one dependency answered its check.' });

/** What readiness.ts computes, plus `stopping`, which health-routes.ts reports on shutdown. */
const READINESS_STATUSES = ['ready', 'degraded', 'unavailable', 'stopping'] as const;

export const readinessSchema = z
  .object({
    status: z.enum(READINESS_STATUSES).meta({
      description:
        'ready: every dependency answers. degraded: only optional ones are down; the service ' +
        'still works. unavailable: a required one is down. stopping: shutting down.',
    }),
    checks: z.record(z.string(), dependencyCheckSchema).meta({
      description: 'Each dependency by name (mongodb, redis, rabbitmq, …).',
    }),
  })
  .meta({
    id: 'Readiness',
    description: 'Whether this instance can do its work now, and each dependency it checked.',
    examples: [
      {
        status: 'degraded',
        checks: {
          mongodb: { status: 'up', required: true },
          redis: { status: 'down', required: false, error: 'no answer within 1000 ms' },
        },
      },
    ],
  });

/** What the public port says: the status alone; the checks and their errors are on OPS_PORT. */
export const publicReadinessSchema = readinessSchema.pick({ status: true }).meta({
  id: 'PublicReadiness',
  description:
    'Whether this instance can do its work now. Each dependency and its error are shown on the operations port only (OPS_PORT).',
  examples: [{ status: 'degraded' }],
});

// Compile-time guards: the documented shapes are the ones readiness.ts produces.
const _checkMatches: SameType<z.infer<typeof dependencyCheckSchema>, CheckResult> = true;
const _statusMatches: SameType<(typeof READINESS_STATUSES)[number], ReadinessStatus | 'stopping'> =
  true;
