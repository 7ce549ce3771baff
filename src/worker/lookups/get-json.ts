import type { AttemptTimeout } from '../../shared/domain/attempt-timeouts.js';
import type { HttpPool } from './http-pool.js';
import type { Dependency } from '../../shared/domain/lookup-failure.js';
import { LookupError } from './lookup-error.js';
import { readCapped } from './read-capped.js';

export interface LookupTarget {
  dependency: Dependency;
  resource: string;
  url: URL;
  /** Sent as X-Request-Id, so the services' logs can be matched with ours. */
  requestId: string | null;
  /** The service's keep-alive connections; the runtime's shared ones when absent. */
  pool?: HttpPool | undefined;
  /** The longest body read; a longer one is an invalid response. */
  maxBodyBytes: number;
}

/** Users and products are a few hundred bytes; anything near this is not one of them. */
export const DEFAULT_MAX_BODY_BYTES = 65_536;

/**
 * One GET that turns every way an HTTP call can go wrong into a classified LookupError.
 * Uses the runtime's fetch over the service's undici pool; the whole exchange, headers and
 * body, is bounded by the attempt's time limit, and the body by `maxBodyBytes`.
 */
export async function getJson(target: LookupTarget, limit: AttemptTimeout): Promise<unknown> {
  const { dependency, resource } = target;
  const signal = AbortSignal.timeout(limit.timeoutMs);

  let response: Response;
  let text: string | null;
  try {
    // identity: the bodies are a few hundred bytes, and fetch would otherwise ask for gzip,
    // which cost the worker a tenth of its CPU to inflate (and the services to deflate).
    const headers: Record<string, string> = {
      accept: 'application/json',
      'accept-encoding': 'identity',
    };
    if (target.requestId !== null) headers['x-request-id'] = target.requestId;
    response = await fetch(target.url, {
      signal,
      headers,
      ...(target.pool === undefined ? {} : { dispatcher: target.pool }),
    });
    text = await readCapped(response, target.maxBodyBytes);
  } catch (error) {
    // Headers and body share the one time limit; either can time out or break.
    throw signal.aborted
      ? new LookupError({ dependency, resource, cause: 'timeout', ...limit })
      : new LookupError({
          dependency,
          resource,
          cause: 'unreachable',
          detail: networkDetail(error),
        });
  }

  if (response.status === 404) throw new LookupError({ dependency, resource, cause: 'not-found' });
  if (!response.ok) {
    throw new LookupError({ dependency, resource, cause: 'http-error', status: response.status });
  }
  if (text === null) {
    throw new LookupError({
      dependency,
      resource,
      cause: 'invalid-response',
      detail: `the body is longer than ${target.maxBodyBytes} bytes`,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new LookupError({
      dependency,
      resource,
      cause: 'invalid-response',
      detail: 'the body is not JSON',
    });
  }
}

function networkDetail(error: unknown): string {
  if (!(error instanceof Error)) return 'network error';
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : (cause?.message ?? error.message);
}
