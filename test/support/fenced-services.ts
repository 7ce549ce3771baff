import type { ResourceBreakers } from '../../src/worker/lookups/resource-breakers.js';
import { createProductReader, createUserReader } from '../../src/worker/lookups/services.js';
import type { Readers } from '../../src/worker/orders/look-up-order-details.js';

/**
 * The user and product services as the tests fence them with nock: hosts nothing resolves,
 * so a call no interceptor answers fails instead of reaching a real service.
 */
export const USERS = 'http://user-service.test';
export const PRODUCTS = 'http://product-service.test';

/** A user and a product as the fenced services answer them. */
export const ADA = { id: 'ada', firstName: 'Ada', lastName: 'Lovelace' };
export const CLASSIC = { code: 'classic-box', name: 'Classic Box', price: 9.99 };

/**
 * The HTTP readers of the fenced services, for a worker's `readers`: made without a connection
 * pool (nock sees only requests made without one), each call on the breakers `breakers` gives
 * at that moment, so a suite may give every test fresh ones.
 */
export function fencedReaders(breakers: () => ResourceBreakers): Readers {
  return {
    readUser: (id, limit, requestId) => createUserReader(USERS, breakers())(id, limit, requestId),
    readProduct: (code, limit, requestId) =>
      createProductReader(PRODUCTS, breakers())(code, limit, requestId),
  };
}
