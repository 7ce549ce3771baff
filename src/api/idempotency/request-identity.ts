import { createHash } from 'node:crypto';
import type { FailedOrderQuery } from '../../shared/persistence/order-repository.js';
import type { OrderRequest } from '../orders/order-request.js';

/**
 * Whose an Idempotency-Key is. Keys are stored per owner, so one client can never meet
 * another's order through a key, and clients and operators cannot replay each other's.
 */
export type KeyOwner = { client: string | null } | { operator: string };

/**
 * The key an Idempotency-Key is stored under. A key has no spaces, so the space keeps owner
 * and key apart. With authentication off there is no client, and the key is stored as sent.
 */
export function scopedKey(owner: KeyOwner, key: string): string {
  if ('operator' in owner) return `operator ${owner.operator} ${key}`;
  return owner.client === null ? key : `${owner.client} ${key}`;
}

/** Two orders are "the same" when their validated fields are; field order does not matter. */
export function orderRequestFingerprint(request: OrderRequest): string {
  return digest([request.user_id, request.product_code]);
}

/**
 * An operator's single and bulk re-drives share the operator's keys: the kind of request is
 * part of the fingerprint, so a key sent with one is refused with the other.
 */
export function redriveFingerprint(orderId: string): string {
  return digest(['redrive', orderId]);
}

/** The whole query counts, cursor and page size included: another page is another request. */
export function bulkRedriveFingerprint(query: FailedOrderQuery): string {
  return digest(['redrive-bulk', query]);
}

function digest(fields: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}
