import { z } from 'zod';
import type { Problem } from '../http/problem.js';
import type { FieldError } from '../orders/order-request.js';
import type { SameType } from './same-type.js';

/** RFC 9457 problem details, as `problem()` in http/problem.ts builds them. */
export const problemSchema = z
  .looseObject({
    type: z.string().meta({
      description:
        'A relative URI naming the kind of problem (`/problems/<slug>`). Programs branch on ' +
        'this and the status, never on the texts.',
      examples: ['/problems/order-not-found'],
    }),
    title: z.string().meta({ description: 'Short, for people; the same for every such problem.' }),
    status: z.int().min(400).max(599).meta({ description: 'The HTTP status, repeated.' }),
    detail: z.string().optional().meta({ description: 'What happened, for people.' }),
  })
  .meta({
    id: 'Problem',
    description:
      'An RFC 9457 problem document (`application/problem+json`). It may carry extension ' +
      'members; none carries a stack trace or other internals.',
  });

export const fieldErrorSchema = z
  .object({
    field: z.string().meta({
      description: 'The field (a dotted path), `(body)` for the body as a whole.',
      examples: ['user_id'],
    }),
    rule: z.string().meta({
      description: 'The broken rule, e.g. `invalid_type`, `too_big`, `unknown_field`.',
      examples: ['too_big'],
    }),
    message: z.string().meta({ examples: ['Too big: expected string to have <=64 characters'] }),
  })
  .meta({ id: 'FieldError', description: 'One broken rule of one field.' });

export const validationProblemSchema = problemSchema
  .extend({
    errors: z.array(fieldErrorSchema).optional().meta({
      description:
        'Each broken rule (for `/problems/invalid-order` and `/problems/invalid-query`).',
    }),
  })
  .meta({
    id: 'ValidationProblem',
    description: 'A problem document that, when input broke rules, names each field and rule.',
  });

// Compile-time guards: the documented shapes are the ones the code produces.
type ProblemMembers = 'type' | 'title' | 'status' | 'detail';
const _problemMatches: SameType<
  Pick<z.infer<typeof problemSchema>, ProblemMembers>,
  Pick<Problem, ProblemMembers>
> = true;
const _fieldErrorMatches: SameType<z.infer<typeof fieldErrorSchema>, FieldError> = true;
