import { createHash } from 'node:crypto';
import { AuthenticationError, type Authenticator } from './authenticator.js';

/** One configured key: only its SHA-256 is kept, so the configuration holds no secret. */
export interface ApiKey {
  clientId: string;
  /** Hex SHA-256 of the key (`printf %s "$KEY" | sha256sum`). */
  keySha256: string;
  scopes: readonly string[];
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * API keys sent as `Authorization: Bearer <key>`. The key is hashed and looked up by its
 * digest: the lookup's time depends on the digest, which says nothing usable about the key.
 */
export function createApiKeyAuthenticator(keys: readonly ApiKey[]): Authenticator {
  const byDigest = new Map(keys.map((key) => [key.keySha256.toLowerCase(), key]));
  return {
    authenticate(credential) {
      const key = byDigest.get(sha256(credential));
      if (key === undefined) return Promise.reject(new AuthenticationError('unknown API key'));
      return Promise.resolve({
        clientId: key.clientId,
        subject: key.clientId,
        scopes: new Set(key.scopes),
      });
    },
  };
}
