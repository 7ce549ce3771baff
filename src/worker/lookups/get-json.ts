import type { AttemptTimeout } from '../../shared/domain/attempt-timeouts.js';
import type { HttpPool } from './http-pool.js';
import type { Dependency } from '../../shared/domain/lookup-failure.js';
import { LookupError } from './lookup-error.js';
import { httpGet, type HttpAnswer } from './http-get.js';

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
 * One GET that turns every way an HTTP call can go wrong into a classified LookupError. The
 * whole exchange, headers and body, is bounded by the attempt's time limit, and the body by
 * `maxBodyBytes`.
 */
export async function getJson(target: LookupTarget, limit: AttemptTimeout): Promise<unknown> {
  const { dependency, resource } = target;
  const signal = AbortSignal.timeout(limit.timeoutMs);

  let answer: HttpAnswer;
  try {
    // identity: the bodies are a few hundred bytes, and fetch would otherwise ask for gzip,
    // which cost the worker a tenth of its CPU to inflate (and the services to deflate).
    const headers: Record<string, string> = {
      accept: 'application/json',
      'accept-encoding': 'identity',
    };
    if (target.requestId !== null) headers['x-request-id'] = target.requestId;
    answer = await httpGet(target.url, {
      headers,
      signal,
      maxBodyBytes: target.maxBodyBytes,
      pool: target.pool,
    });
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
  const { status, text } = answer;

  if (status === 404) throw new LookupError({ dependency, resource, cause: 'not-found' });
  if (status < 200 || status > 299) {
    throw new LookupError({ dependency, resource, cause: 'http-error', status });
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
  // fetch wraps the socket's error as its cause; undici's own request throws it as it is.
  const cause = error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? code : cause.message;
}
