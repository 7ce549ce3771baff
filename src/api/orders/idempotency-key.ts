import { z } from 'zod';
import { ProblemError, problem } from '../http/problem.js';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Visible ASCII, 1–255 characters: room for a UUID or a client's own scheme, nothing odd. */
export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/);

export const INVALID_IDEMPOTENCY_KEY = problem({
  status: 400,
  slug: 'invalid-idempotency-key',
  title: 'Invalid Idempotency-Key',
  detail: 'Send one Idempotency-Key of 1 to 255 visible ASCII characters (a UUID works well).',
});

/** The header's value, if the client sent one; a malformed key is a 400, not ignored. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const parsed = idempotencyKeySchema.safeParse(header);
  if (parsed.success) return parsed.data;
  throw new ProblemError(INVALID_IDEMPOTENCY_KEY);
}
