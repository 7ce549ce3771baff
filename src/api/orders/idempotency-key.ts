import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ProblemError, problem } from '../http/problem.js';
import type { OrderRequest } from './order-request.js';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Visible ASCII, 1–255 characters: room for a UUID or a client's own scheme, nothing odd. */
export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/);

export const INVALID_IDEMPOTENCY_KEY = problem(
  400,
  'invalid-idempotency-key',
  'Invalid Idempotency-Key',
  'Send one Idempotency-Key of 1 to 255 visible ASCII characters (a UUID works well).',
);

/** The header's value, if the client sent one; a malformed key is a 400, not ignored. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const parsed = idempotencyKeySchema.safeParse(header);
  if (parsed.success) return parsed.data;
  throw new ProblemError(INVALID_IDEMPOTENCY_KEY);
}

/** Two requests are "the same" when their validated fields are; field order does not matter. */
export function requestFingerprint(request: OrderRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([request.user_id, request.product_code]))
    .digest('hex');
}
