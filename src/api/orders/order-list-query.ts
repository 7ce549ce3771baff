import { z } from 'zod';
import { ORDER_STATUSES, type Order } from '../../shared/domain/order.js';
import type { OrderPage } from '../../shared/persistence/order-repository.js';
import { identifier, parseOrRefuse } from './order-request.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Where a page ends: the newest-first order of (created_at, id) continues after it. */
interface PagePosition {
  created_at: Date;
  id: string;
}

const position = z.object({ c: z.iso.datetime(), i: z.uuid() });

/** Cursors are opaque to clients: base64url of the last order's time and id. */
export function encodeCursor(order: Pick<Order, 'created_at' | 'id'>): string {
  return Buffer.from(
    JSON.stringify({ c: order.created_at.toISOString(), i: order.id }),
    'utf8',
  ).toString('base64url');
}

export function decodeCursor(cursor: string): PagePosition | null {
  try {
    const parsed = position.safeParse(
      JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')),
    );
    return parsed.success ? { created_at: new Date(parsed.data.c), id: parsed.data.i } : null;
  } catch {
    return null;
  }
}

export const orderListQuerySchema = z.strictObject({
  user_id: identifier.optional(),
  status: z.enum(ORDER_STATUSES).optional(),
  limit: z
    .string()
    .regex(/^(?:[1-9]\d?|100)$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_PAGE_SIZE))
    .optional(),
  // What encodeCursor gives: base64url of a fixed-length JSON (an ISO time and a UUID).
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{100}$/, 'is not a cursor this API gave out')
    .refine((cursor) => decodeCursor(cursor) !== null, 'is not a cursor this API gave out')
    .optional(),
});

/** Checks `GET /orders` query parameters; unknown or repeated ones are a 400 naming them. */
export function parseOrderListQuery(query: unknown): OrderPage {
  const { user_id, status, limit, cursor } = parseOrRefuse(orderListQuerySchema, query, {
    slug: 'invalid-query',
    title: 'Invalid query',
    unknownIs: 'is not a parameter of GET /orders',
  });
  return {
    ...(user_id === undefined ? {} : { userId: user_id }),
    ...(status === undefined ? {} : { status }),
    after: cursor === undefined ? null : decodeCursor(cursor),
    limit: limit ?? DEFAULT_PAGE_SIZE,
  };
}
