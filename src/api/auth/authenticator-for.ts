import type { ApiConfig } from '../../shared/config/config.js';
import type { Logger } from '../../shared/observability/logger.js';
import { createApiKeyAuthenticator } from './api-key-authenticator.js';
import type { Authenticator } from './authenticator.js';
import { createJwtAuthenticator } from './jwt-authenticator.js';

/** The authenticator AUTH_MODE asks for; null, and said loudly, when authentication is off. */
export async function authenticatorFor(
  auth: ApiConfig['auth'],
  events: { onKeyFetchFailed: () => void; logger: Logger },
): Promise<Authenticator | null> {
  switch (auth.mode) {
    case 'none':
      events.logger.warn(
        'authentication is off (AUTH_MODE=none): anyone who reaches the API can create and read every order',
      );
      return null;
    case 'api-key':
      return createApiKeyAuthenticator(auth.keys);
    case 'jwt':
      return createJwtAuthenticator(auth, events.onKeyFetchFailed);
  }
}
