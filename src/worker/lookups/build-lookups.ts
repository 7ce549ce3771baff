import type { WorkerConfig } from '../../shared/config/config.js';
import type { WorkerMetrics } from '../observability/worker-metrics.js';
import { measuredReader } from '../observability/measured.js';
import type { Readers } from '../orders/look-up-order-details.js';
import { withBulkhead } from './bulkhead.js';
import { cachedReader } from './cached-reader.js';
import { createHttpPool } from './http-pool.js';
import type { ResourceBreakers } from './resource-breakers.js';
import { createProductReader, createUserReader } from './services.js';

/** The lookups as the order use case calls them, with what the process needs to watch and close them. */
export interface Lookups extends Readers {
  /** Calls each service's bulkhead holds now. */
  callsInFlight(): { user: number; product: number };
  /** Drops every connection, abandoned calls included (a hung service may hold some for 60 s). */
  close(): Promise<void>;
}

/**
 * Each service on its own connection pool behind its own bulkhead, so one that hangs cannot
 * take the other's connections or every job slot; every call timed; products, which many
 * orders share, remembered briefly. `readers` replaces the HTTP readers (a test that fences
 * HTTP with nock, which does not see requests made on a pool), behind the same bulkheads.
 */
export function buildLookups(
  config: WorkerConfig,
  parts: { breakers: ResourceBreakers; metrics: WorkerMetrics; readers?: Readers },
): Lookups {
  const pools = { user: createHttpPool(), product: createHttpPool() };
  const bodies = { maxBodyBytes: config.lookupMaxBodyBytes };
  const maxInFlight = config.lookupMaxInFlight;
  const user = withBulkhead(
    parts.readers?.readUser ??
      createUserReader(config.userServiceUrl, parts.breakers, { ...bodies, pool: pools.user }),
    { dependency: 'user', maxInFlight },
  );
  const product = withBulkhead(
    parts.readers?.readProduct ??
      createProductReader(config.productServiceUrl, parts.breakers, {
        ...bodies,
        pool: pools.product,
      }),
    { dependency: 'product', maxInFlight },
  );
  const readers = { readUser: user.read, readProduct: product.read };
  const readProduct = measuredReader(readers.readProduct, 'product', parts.metrics);
  return {
    readUser: measuredReader(readers.readUser, 'user', parts.metrics),
    readProduct:
      config.productCacheTtlMs > 0
        ? cachedReader(readProduct, { ttlMs: config.productCacheTtlMs, maxEntries: 10_000 })
        : readProduct,
    callsInFlight: () => ({ user: user.inFlight(), product: product.inFlight() }),
    async close() {
      await Promise.allSettled([pools.user.destroy(), pools.product.destroy()]);
    },
  };
}
