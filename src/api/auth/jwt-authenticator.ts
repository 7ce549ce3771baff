import {
  createRemoteJWKSet,
  customFetch,
  errors,
  importSPKI,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type CryptoKey,
} from 'jose';
import { AuthenticationError, type Authenticator } from './authenticator.js';

export interface JwtSettings {
  /** Where the signing keys are published; or else `publicKeyPem`. */
  jwksUrl: URL | null;
  /** One SPKI public key (PEM), signing with the first of `algorithms`. */
  publicKeyPem: string | null;
  issuer: string;
  audience: string;
  /** Accepted `alg` values: asymmetric only, so `none` and HMAC tricks never pass. */
  algorithms: readonly string[];
  clockSkewSeconds: number;
  /** How often the JWKS is fetched again in the background (AUTH_JWKS_REFRESH). */
  keyRefreshMs: number;
}

/** After a failed fetch of the JWKS, requests that need it are answered 503 this long. */
const KEY_FETCH_PAUSE_MS = 5000;

/** OAuth puts scopes in `scope` (space-separated); some issuers use an `scp` list instead. */
function scopesOf(payload: JWTPayload): Set<string> {
  const { scope, scp } = payload as { scope?: unknown; scp?: unknown };
  if (typeof scope === 'string') return new Set(scope.split(' ').filter(Boolean));
  if (Array.isArray(scp)) return new Set(scp.filter((item) => typeof item === 'string'));
  return new Set();
}

/**
 * The errors that say the token is not good; any other (the JWKS answered with an error or
 * garbage, timed out, could not be reached) says the keys could not be had, which is ours.
 */
const TOKEN_ERRORS = [
  errors.JWTExpired,
  errors.JWTClaimValidationFailed,
  errors.JWTInvalid,
  errors.JWSInvalid,
  errors.JWSSignatureVerificationFailed,
  errors.JOSEAlgNotAllowed,
  errors.JOSENotSupported,
  errors.JWKSNoMatchingKey,
  errors.JWKSMultipleMatchingKeys,
];

/** What a refused token is told, by jose's error class: enough to fix it, nothing more. */
function reasonFor(error: errors.JOSEError): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `the token's ${error.claim} claim is not accepted`;
  if (error instanceof errors.JOSEAlgNotAllowed) return "the token's algorithm is not accepted";
  if (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWSSignatureVerificationFailed
  )
    return 'the token is not signed by a trusted key';
  return 'the token is malformed';
}

/** The key server could not be asked: it failed a moment ago (see KEY_FETCH_PAUSE_MS). */
class KeyFetchPausedError extends Error {
  constructor() {
    super('the JWKS could not be fetched a moment ago; not asking again yet');
    this.name = 'KeyFetchPausedError';
  }
}

/**
 * The JWKS through jose, holding the last keys it fetched for as long as no fetch succeeds:
 * an outage of the key server must not fail tokens signed by keys it published before. A
 * background refresh (every `keyRefreshMs`) brings rotations in and drops retired keys; a
 * token naming a key not held makes jose fetch at once (unless a fetch just succeeded), and
 * that fetch failing is a 503 for it. Each failed fetch is reported; for a moment after one,
 * requests that need a fetch are answered 503 without asking the key server again.
 */
function keysFrom(
  url: URL,
  settings: Pick<JwtSettings, 'keyRefreshMs'>,
  onKeyFetchFailed: () => void,
): { keys: JWTVerifyGetKey; background: NonNullable<Authenticator['background']> } {
  let pausedUntil = 0;
  const failed = (error: unknown): never => {
    onKeyFetchFailed();
    pausedUntil = Date.now() + KEY_FETCH_PAUSE_MS;
    throw error;
  };
  const fetchKeys = async (input: string, init: RequestInit): Promise<Response> => {
    if (Date.now() < pausedUntil) throw new KeyFetchPausedError();
    const response = await fetch(input, init).catch(failed);
    if (response.status !== 200) failed(new Error(`the JWKS answered HTTP ${response.status}`));
    return response;
  };
  const keys = createRemoteJWKSet(url, {
    // Never stale by age: jose would then refetch on every request and fail each one the
    // key server cannot answer. The background refresh keeps the set current instead.
    cacheMaxAge: Infinity,
    // After a good fetch, a key it did not hold is unknown, not worth another fetch, for this
    // long (jose's 30 s, or the refresh interval when that is shorter).
    cooldownDuration: Math.min(30_000, settings.keyRefreshMs),
    [customFetch]: fetchKeys,
  });
  return {
    keys,
    background: { name: 'refresh the JWKS', intervalMs: settings.keyRefreshMs, run: keys.reload },
  };
}

/**
 * Bearer JWTs, verified by jose against a JWKS (see keysFrom) or one configured key. `iss`,
 * `aud` and `exp` must hold, within the clock skew, and `sub` must be there: it is whom the
 * caller acts as.
 */
export async function createJwtAuthenticator(
  settings: JwtSettings,
  onKeyFetchFailed: () => void = () => undefined,
): Promise<Authenticator> {
  const [firstAlgorithm] = settings.algorithms;
  if (firstAlgorithm === undefined) throw new Error('no JWT algorithm configured');
  const remote =
    settings.jwksUrl === null ? null : keysFrom(settings.jwksUrl, settings, onKeyFetchFailed);
  const key: JWTVerifyGetKey | CryptoKey =
    remote !== null ? remote.keys : await importSPKI(settings.publicKeyPem ?? '', firstAlgorithm);
  const options = {
    issuer: settings.issuer,
    audience: settings.audience,
    // One configured key signs with one algorithm: a token naming another is refused as such.
    algorithms: settings.jwksUrl !== null ? [...settings.algorithms] : [firstAlgorithm],
    clockTolerance: settings.clockSkewSeconds,
    requiredClaims: ['sub', 'exp'],
  };
  return {
    ...(remote === null ? {} : { background: remote.background }),
    async authenticate(credential) {
      try {
        const { payload } =
          typeof key === 'function'
            ? await jwtVerify(credential, key, options)
            : await jwtVerify(credential, key, options);
        const subject: unknown = payload.sub;
        if (typeof subject !== 'string' || subject === '')
          throw new AuthenticationError('the token names no subject');
        return { clientId: subject, subject, scopes: scopesOf(payload) };
      } catch (error) {
        if (error instanceof AuthenticationError) throw error;
        // A JWKS that cannot be had is our trouble, not the caller's: not a 401.
        if (!TOKEN_ERRORS.some((kind) => error instanceof kind)) throw error;
        throw new AuthenticationError(reasonFor(error as errors.JOSEError));
      }
    },
  };
}
