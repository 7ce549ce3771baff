import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Marks the stubs the bench adds, so it removes exactly those. */
const METADATA = { source: 'order-service-bench' };
const STUBS_DIR = fileURLToPath(new URL('./stubs/', import.meta.url));

async function admin(baseUrl: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(new URL(`/__admin/${path}`, baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`WireMock ${baseUrl} refused ${path}: ${response.status}`);
}

/**
 * Adds the bench's own stubs (a user and a product that answer at once) to the running
 * WireMock services, beside the seed's, for as long as `use` runs.
 */
export async function withBenchStubs<T>(
  urls: { userServiceUrl: string; productServiceUrl: string },
  use: () => Promise<T>,
): Promise<T> {
  const targets = [
    ['user-service', urls.userServiceUrl],
    ['product-service', urls.productServiceUrl],
  ] as const;
  for (const [service, url] of targets) {
    for (const file of await readdir(`${STUBS_DIR}${service}`)) {
      const mapping = JSON.parse(
        await readFile(`${STUBS_DIR}${service}/${file}`, 'utf8'),
      ) as object;
      await admin(url, 'mappings', { ...mapping, metadata: METADATA });
    }
  }
  try {
    return await use();
  } finally {
    for (const [, url] of targets) {
      await admin(url, 'mappings/remove-by-metadata', {
        matchesJsonPath: { expression: '$.source', equalTo: METADATA.source },
      });
    }
  }
}

/** The order the bench stubs confirm at once. */
export const INSTANT_ORDER = { user_id: 'bench-user', product_code: 'bench-box' };
