import { z } from 'zod';
import { ORDER_STATUSES, type Order } from '../../shared/domain/order.js';
import { historyResource, historySchema } from './history-resource.js';
import { identifier } from './order-request.js';

/**
 * The order as clients see it: the seed's order schema plus its processing state. This schema
 * is the source of truth for the response body: `orderResource()` is typed by it and the
 * OpenAPI document renders it, so the two cannot drift apart.
 */
export const orderResourceSchema = z
  .object({
    id: z.uuid().meta({ description: 'Given by the service when it accepts the order.' }),
    user_id: identifier,
    product_code: identifier,
    status: z.enum(ORDER_STATUSES).meta({
      description:
        'PENDING until the worker has looked up the user and the product; then CONFIRMED, ' +
        'or FAILED with a `failure`. CONFIRMED is final; FAILED is too, unless an operator ' +
        're-drives the order, which takes it back to PENDING.',
    }),
    customer_fullname: z
      .string()
      .nullable()
      .meta({ description: "The user's full name; null until CONFIRMED." }),
    product_name: z.string().nullable().meta({ description: 'Null until CONFIRMED.' }),
    total_amount: z.number().nullable().meta({ description: 'Null until CONFIRMED.' }),
    created_at: z.iso.datetime().meta({ description: 'When the order was accepted (UTC).' }),
    updated_at: z.iso.datetime().meta({ description: 'When its status last changed (UTC).' }),
    failure: z
      .object({
        code: z.string().meta({ description: 'Stable, for programs to branch on.' }),
        message: z.string().meta({ description: 'For people; may change.' }),
      })
      .optional()
      .meta({ description: 'Why the order FAILED; present only then.' }),
    history: historySchema.optional(),
  })
  .meta({
    id: 'Order',
    description: 'An accepted order and its processing state.',
    examples: [
      {
        id: '0b6f4c1e-3a57-4f4e-9a4e-2f1c9d1f8e2a',
        user_id: '7c11e1ce2741',
        product_code: 'classic-box',
        status: 'CONFIRMED',
        customer_fullname: 'Ada Lovelace',
        product_name: 'Classic Box',
        total_amount: 39.9,
        created_at: '2025-01-31T09:15:02.117Z',
        updated_at: '2025-01-31T09:15:02.874Z',
      },
    ],
  });

export type OrderResource = z.infer<typeof orderResourceSchema>;

/** Order ids are UUIDs; anything else cannot name an order. */
export const orderIdSchema = z.uuid();

/** The body of `GET /orders`. */
export const orderPageSchema = z
  .object({
    items: z.array(orderResourceSchema).meta({ description: 'Newest first.' }),
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ id: 'OrderPage', description: 'One page of orders, newest first.' });

export type OrderPageResource = z.infer<typeof orderPageSchema>;

/**
 * The order as clients see it; storage-only fields (event, request id) stay inside, and its
 * history comes only when asked for, naming operators only with `operators`.
 */
export function orderResource(
  order: Order,
  options: { history?: boolean; operators?: boolean } = {},
): OrderResource {
  return {
    id: order.id,
    user_id: order.user_id,
    product_code: order.product_code,
    status: order.status,
    customer_fullname: order.customer_fullname,
    product_name: order.product_name,
    total_amount: order.total_amount,
    created_at: order.created_at.toISOString(),
    updated_at: order.updated_at.toISOString(),
    ...(order.failure === null
      ? {}
      : { failure: { code: order.failure.code, message: order.failure.message } }),
    ...(options.history === true
      ? { history: historyResource(order.history, { operators: options.operators === true }) }
      : {}),
  };
}

/**
 * The answer an order's POST first got: PENDING, nothing looked up yet. A replayed POST whose
 * caller may not read the order gets this again, not the order as it is now: creating an
 * order grants no read of what the worker found (a write-only key would otherwise read, by
 * replaying, what GET refuses it).
 */
export function acceptedOrderResource(order: Order): OrderResource {
  return {
    id: order.id,
    user_id: order.user_id,
    product_code: order.product_code,
    status: 'PENDING',
    customer_fullname: null,
    product_name: null,
    total_amount: null,
    created_at: order.created_at.toISOString(),
    updated_at: order.created_at.toISOString(),
  };
}

export function orderLocation(order: Pick<Order, 'id'>): string {
  return `/orders/${order.id}`;
}
