import { z } from 'zod';
import type { Dependency } from '../../shared/domain/lookup-failure.js';
import type { AttemptTimeout } from '../../shared/domain/attempt-timeouts.js';
import { DEFAULT_MAX_BODY_BYTES, getJson } from './get-json.js';
import type { HttpPool } from './http-pool.js';
import { LookupError } from './lookup-error.js';
import type { ResourceBreakers } from './resource-breakers.js';

/** How a reader talks to its service: over its own pool, reading at most so many bytes. */
export interface HttpOptions {
  pool?: HttpPool | undefined;
  maxBodyBytes?: number | undefined;
}

/**
 * Reads one resource by id from a service, through its breaker, into a checked shape;
 * `requestId` (the order's) goes along with the call.
 */
export type ResourceReader<T> = (
  id: string,
  limit: AttemptTimeout,
  requestId: string | null,
) => Promise<T>;

export function createResourceReader<T>(options: {
  dependency: Dependency;
  baseUrl: string;
  collection: string;
  schema: z.ZodType<T>;
  breakers: ResourceBreakers;
  http?: HttpOptions | undefined;
}): ResourceReader<T> {
  const { dependency, schema, breakers } = options;
  const base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;

  return (id, limit, requestId) =>
    breakers.run(dependency, id, async () => {
      const url = new URL(`${options.collection}/${encodeURIComponent(id)}`, base);
      const body = await getJson(
        {
          dependency,
          resource: id,
          url,
          requestId,
          pool: options.http?.pool,
          maxBodyBytes: options.http?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
        },
        limit,
      );
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        const detail = z.prettifyError(parsed.error).replace(/\s+/g, ' ');
        throw new LookupError({ dependency, resource: id, cause: 'invalid-response', detail });
      }
      return parsed.data;
    });
}
