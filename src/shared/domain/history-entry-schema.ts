import { z } from 'zod';
import { ORDER_STATUSES } from './order.js';

// An order's history entries as they travel as JSON (times as ISO strings): in the API's
// answers, and on a job between its attempts. Unknown fields are dropped when parsed.

const at = z.iso.datetime();
const attempt = z.number().int().min(1).meta({ description: 'The job attempt: 1 for the first.' });

export const lookupEntrySchema = z
  .object({
    type: z.literal('lookup'),
    at: at.meta({ description: 'When the call began (UTC).' }),
    attempt,
    dependency: z.enum(['user', 'product']).meta({ description: 'The service called.' }),
    resource: z.string().meta({ description: 'The user id or product code asked for.' }),
    outcome: z.enum(['found', 'failed']),
    duration_ms: z.number().int().min(0),
    failure_code: z
      .string()
      .optional()
      .meta({ description: 'For a failed call, e.g. USER_SERVICE_ERROR.' }),
    message: z.string().optional().meta({ description: 'For a failed call: what happened.' }),
    http_status: z
      .number()
      .int()
      .optional()
      .meta({ description: 'When the service answered with an error status.' }),
  })
  .meta({ id: 'LookupEntry', description: 'One call to the user or product service.' });

export const stateEntrySchema = z
  .object({
    type: z.literal('state'),
    at: at.meta({ description: 'When the status changed (UTC).' }),
    from: z.enum(ORDER_STATUSES).nullable().meta({ description: 'Null when it was accepted.' }),
    to: z.enum(ORDER_STATUSES),
    by: z.enum(['api', 'worker', 'deadline', 'operator']).meta({
      description:
        'Who made the change: the API (accepting), the worker (after its lookups), the ' +
        'deadline (ORDER_DEADLINE passed) or an operator (a re-drive).',
    }),
    attempt: attempt.optional(),
    failure_code: z.string().optional(),
    operator: z
      .string()
      .optional()
      .meta({ description: `Who re-drove the order; shown only to callers with orders:read:any.` }),
    generation: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: 'The re-drive generation the order entered.' }),
  })
  .meta({ id: 'StateEntry', description: 'A change of status, and who made it.' });

export const historyEntrySchema = z.discriminatedUnion('type', [
  lookupEntrySchema,
  stateEntrySchema,
]);

export type HistoryEntryJson = z.infer<typeof historyEntrySchema>;
