import type { Principal } from './access-rules.js';

/** Turns the credential a request carries (a bearer token) into the caller, or refuses it. */
export interface Authenticator {
  /** Resolves to the caller; rejects with AuthenticationError when the credential is not good. */
  authenticate(credential: string): Promise<Principal>;
  /** Work to repeat while the API runs (fetching signing keys again), when there is any. */
  background?: { name: string; intervalMs: number; run: () => Promise<void> };
}

/** The credential is missing, malformed, expired, for someone else, or signed by a stranger. */
export class AuthenticationError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AuthenticationError';
  }
}
