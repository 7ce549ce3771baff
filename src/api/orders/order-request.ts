import { z } from 'zod';
import { ProblemError, problem } from '../http/problem.js';

/**
 * The accepted shape of ids coming from clients: 1–64 characters, letters, digits, `-` and
 * `_`, starting with a letter or digit. Narrow on purpose: such ids are safe in URLs, logs
 * and queries, and every id of the upstream services fits.
 */
export const IDENTIFIER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
export const IDENTIFIER_MAX_LENGTH = 64;

export const identifier = z
  .string()
  // Stop at the first broken rule: an empty id needs no second message about its characters.
  .min(1, { abort: true })
  .max(IDENTIFIER_MAX_LENGTH, { abort: true })
  .regex(
    IDENTIFIER_PATTERN,
    'must contain only letters, digits, "-" and "_", starting with a letter or digit',
  );

export const orderRequestSchema = z.strictObject({
  user_id: identifier,
  product_code: identifier,
});

export type OrderRequest = z.infer<typeof orderRequestSchema>;

export interface FieldError {
  field: string;
  rule: string;
  message: string;
}

/** One entry per broken rule; `unknownIs` names what an unknown field is not part of. */
function fieldErrors(
  error: z.ZodError,
  unknownIs = 'is not a field of an order request',
): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: key, rule: 'unknown_field', message: unknownIs }));
    }
    const field = issue.path.length === 0 ? '(body)' : issue.path.join('.');
    return [{ field, rule: issue.code, message: issue.message }];
  });
}

/** A 400 problem naming each broken field and its rule, in `detail` and in `errors[]`. */
export function invalidFields(
  error: z.ZodError,
  kind: { slug: string; title: string; unknownIs?: string },
): ProblemError {
  const errors = fieldErrors(error, kind.unknownIs);
  return new ProblemError(
    problem({
      status: 400,
      slug: kind.slug,
      title: kind.title,
      detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
      extensions: {
        errors,
      },
    }),
  );
}

/** What `input` is by `schema`; anything else is invalidFields' 400, as `kind` names it. */
export function parseOrRefuse<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  kind: { slug: string; title: string; unknownIs?: string },
): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidFields(result.error, kind);
}

/** Checks a parsed JSON body; anything else is a 400 that names each field and its rule. */
export function parseOrderRequest(body: unknown): OrderRequest {
  return parseOrRefuse(orderRequestSchema, body, {
    slug: 'invalid-order',
    title: 'Invalid order request',
  });
}
