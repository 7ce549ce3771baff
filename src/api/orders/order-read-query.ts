import { z } from 'zod';
import { parseOrRefuse } from './order-request.js';

export const orderReadQuerySchema = z.strictObject({
  include: z.literal('history').optional(),
});

/** What `GET /orders/{id}` was asked to add to the order. */
export interface OrderReadQuery {
  history: boolean;
}

/** Checks `GET /orders/{id}` query parameters; unknown or repeated ones are a 400 naming them. */
export function parseOrderReadQuery(query: unknown): OrderReadQuery {
  const { include } = parseOrRefuse(orderReadQuerySchema, query, {
    slug: 'invalid-query',
    title: 'Invalid query',
    unknownIs: 'is not a parameter of GET /orders/{id}',
  });
  return { history: include === 'history' };
}
