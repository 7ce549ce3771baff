import { buildApi } from '../../src/api/build-api.js';
import { loadApiConfig } from '../../src/shared/config/config.js';
import { localServiceVariables } from './services.js';
import { testLogger } from './test-logger.js';

export interface ApiUnderTest {
  url: string;
  /** The operations side: /metrics and detailed /health/ready. */
  opsUrl: string;
  close(): Promise<void>;
}

/**
 * The variables of an API on the local services, on `database` and `queueName` of its own;
 * `env` adds or overrides any of them. Small limits make the limit tests quick.
 */
export function apiEnvironment(
  names: { database: string; queueName: string },
  env: Record<string, string> = {},
): Record<string, string> {
  return {
    ...localServiceVariables(names.database),
    QUEUE_NAME: names.queueName,
    JOB_ATTEMPTS: '3',
    RETRY_BASE_DELAY_MS: '100',
    BODY_LIMIT_BYTES: '1024',
    LONG_POLL_MAX_WAITERS: '1000',
    SHUTDOWN_GRACE_MS: '1000',
    ...env,
  };
}

/**
 * Builds the API exactly as its process does (`buildApi` from the configuration `env`
 * describes) and serves it on free local ports.
 */
export async function startApi(
  env: Record<string, string>,
  options: { isStopping?: () => boolean } = {},
): Promise<ApiUnderTest> {
  const config = loadApiConfig({ ...env, PORT: '0', OPS_PORT: '0' });
  const api = await buildApi(config, {
    logger: testLogger,
    host: '127.0.0.1',
    ...(options.isStopping === undefined ? {} : { isStopping: options.isStopping }),
  });
  const { port, opsPort } = await api.start();
  return {
    url: `http://127.0.0.1:${String(port)}`,
    opsUrl: `http://127.0.0.1:${String(opsPort)}`,
    close: () => api.stop('test over'),
  };
}

export function postOrder(
  url: string,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Response> {
  return fetch(`${url}/orders`, { method: 'POST', headers, body });
}

/** AUTH_MODE=api-key with `keys` (their SHA-256 digests), as an operator would configure it. */
export function apiKeyEnvironment(
  keys: { client_id: string; key_sha256: string; scopes: string[] }[],
): Record<string, string> {
  return { AUTH_MODE: 'api-key', AUTH_API_KEYS: JSON.stringify(keys) };
}
