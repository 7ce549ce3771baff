import { z } from 'zod';
import { MAX_WAIT_SECONDS } from '../http/prefer-wait.js';
import { idempotencyKeySchema } from '../orders/idempotency-key.js';

/*
 * The HTTP headers the API reads and writes, as OpenAPI describes them. Requests' headers are
 * checked in code that has no exported zod schema (a header that cannot be read is mostly
 * ignored); the conformance test keeps these descriptions honest.
 */

/** The same schema parseIdempotencyKey() checks the header with. */
export const idempotencyKeyHeader = idempotencyKeySchema.optional().meta({
  description:
    'Makes retrying safe: a request repeating a key (within its retention time, 24 h by ' +
    'default) gets the order the first one made instead of a new one. 1–255 visible ASCII ' +
    'characters; a UUID works well. Reusing a key for a different order is a 422.',
  examples: ['3f0c8a52-6f0e-4d5b-9a57-0f1f2a7e3c44'],
});

export const requestIdHeader = z
  .string()
  .optional()
  .meta({
    description:
      'Your id for this request, kept when it is 1–128 of `A-Z a-z 0-9 . _ : -` (otherwise ' +
      'replaced, never refused), returned in the response and logged with everything the ' +
      'request causes.',
    examples: ['checkout-7f3a9c'],
  });

export const preferHeader = z
  .string()
  .optional()
  .meta({
    description:
      `RFC 7240. \`wait=N\` (seconds, at most ${MAX_WAIT_SECONDS}) holds the answer for a ` +
      'PENDING order until it is CONFIRMED or FAILED, or the time is up, whichever comes ' +
      'first: a long poll. An unreadable preference is ignored.',
    examples: ['wait=10'],
  });

/** Every response carries it: see requestContext. */
export const requestIdResponseHeader = z.string().meta({
  description: "The request's id: yours if it was acceptable, else one made for it.",
  header: { id: 'X-Request-Id' },
});

export const retryAfterHeader = z
  .int()
  .min(0)
  .meta({
    description: 'Seconds to wait before trying again.',
    header: { id: 'Retry-After' },
  });

export const locationHeader = z.string().meta({
  description: "The order's URL, relative to the API: `/orders/{id}`.",
  examples: ['/orders/0b6f4c1e-3a57-4f4e-9a4e-2f1c9d1f8e2a'],
});

export const idempotentReplayedHeader = z
  .literal('true')
  .optional()
  .meta({ description: 'Present when the Idempotency-Key was seen before: no new order.' });

export const acceptPostHeader = z.string().meta({
  description: 'The media type POST accepts (RFC 9110 `Accept-Post`).',
  examples: ['application/json'],
});

export const nextPageLinkHeader = z.string().optional().meta({
  description: 'RFC 8288: the next page, `</orders?…&cursor=…>; rel="next"`, when there is one.',
});

export const preferenceAppliedHeader = z
  .string()
  .regex(/^wait=\d+$/)
  .optional()
  .meta({ description: 'Present when a `wait` preference was honoured: the wait applied.' });

export const varyHeader = z
  .string()
  .optional()
  .meta({ description: '`Prefer` when the answer depended on it.' });

export const noStoreHeader = z.literal('no-store').meta({
  description: 'Always current: never cached.',
});

export const wwwAuthenticateHeader = z.string().meta({
  description:
    'RFC 6750 challenge: `Bearer realm="orders"`, with `error` and `error_description` when ' +
    'a token was sent and refused.',
  examples: [
    'Bearer realm="orders", error="invalid_token", error_description="the token has expired"',
  ],
});
