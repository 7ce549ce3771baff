import { z } from 'zod';
import type { FailedOrderQuery } from '../../shared/persistence/order-repository.js';
import { decodeCursor } from '../orders/order-list-query.js';
import { parseOrRefuse } from '../orders/order-request.js';

export const DEFAULT_REDRIVE_PAGE = 100;
export const MAX_REDRIVE_PAGE = 500;

/**
 * Which FAILED orders to re-drive. A failure code is required: re-driving every FAILED order
 * would also send back those no retry can help (a user or product that does not exist).
 */
export const bulkRedriveRequestSchema = z
  .strictObject({
    failure_code: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be a failure code such as PRODUCT_SERVICE_ERROR'),
    failed_after: z.iso.datetime().optional(),
    failed_before: z.iso.datetime().optional(),
    limit: z.number().int().min(1).max(MAX_REDRIVE_PAGE).optional(),
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{100}$/, 'is not a cursor this API gave out')
      .refine((cursor) => decodeCursor(cursor) !== null, 'is not a cursor this API gave out')
      .optional(),
  })
  .refine(
    ({ failed_after, failed_before }) =>
      failed_after === undefined ||
      failed_before === undefined ||
      new Date(failed_after) < new Date(failed_before),
    { message: 'must be later than failed_after', path: ['failed_before'] },
  );

export type BulkRedriveRequest = z.infer<typeof bulkRedriveRequestSchema>;

/** Checks a bulk re-drive body; anything else is a 400 that names each field and its rule. */
export function parseBulkRedriveRequest(body: unknown): FailedOrderQuery {
  const { failure_code, failed_after, failed_before, limit, cursor } = parseOrRefuse(
    bulkRedriveRequestSchema,
    body,
    {
      slug: 'invalid-redrive',
      title: 'Invalid re-drive request',
      unknownIs: 'is not a field of a re-drive request',
    },
  );
  return {
    failureCode: failure_code,
    ...(failed_after === undefined ? {} : { failedAfter: new Date(failed_after) }),
    ...(failed_before === undefined ? {} : { failedBefore: new Date(failed_before) }),
    after: cursor === undefined ? null : decodeCursor(cursor),
    limit: limit ?? DEFAULT_REDRIVE_PAGE,
  };
}
