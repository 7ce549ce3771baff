import { z } from 'zod';
import type { Product, UserProfile } from '../../shared/domain/order-details.js';
import { createResourceReader, type HttpOptions, type ResourceReader } from './resource-reader.js';
import type { ResourceBreakers } from './resource-breakers.js';

const name = z.string().trim().min(1).max(200);

// Extra fields are ignored; the ones we use must be there and make sense. zod's number()
// refuses NaN and Infinity, so a price is a real, non-negative amount.
const userSchema = z
  .object({ firstName: name, lastName: name })
  .transform(({ firstName, lastName }): UserProfile => ({ firstName, lastName }));
const productSchema = z
  .object({ name, price: z.number().nonnegative() })
  .transform(({ name, price }): Product => ({ name, price }));

/** The user service: `GET {base}/users/{id}` → `{ id, firstName, lastName }`. */
export function createUserReader(
  baseUrl: string,
  breakers: ResourceBreakers,
  http?: HttpOptions,
): ResourceReader<UserProfile> {
  return createResourceReader({
    dependency: 'user',
    baseUrl,
    collection: 'users',
    schema: userSchema,
    breakers,
    http,
  });
}

/** The product service: `GET {base}/products/{code}` → `{ code, name, price }`. */
export function createProductReader(
  baseUrl: string,
  breakers: ResourceBreakers,
  http?: HttpOptions,
): ResourceReader<Product> {
  return createResourceReader({
    dependency: 'product',
    baseUrl,
    collection: 'products',
    schema: productSchema,
    breakers,
    http,
  });
}
