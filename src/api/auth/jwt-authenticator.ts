import {
  createRemoteJWKSet,
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
}

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

/**
 * Bearer JWTs, verified by jose against a JWKS (fetched and cached; refetched when a token
 * names an unknown key) or one configured key. `iss`, `aud` and `exp` must hold, within the
 * clock skew, and `sub` must be there: it is whom the caller acts as.
 */
export async function createJwtAuthenticator(settings: JwtSettings): Promise<Authenticator> {
  const [firstAlgorithm] = settings.algorithms;
  if (firstAlgorithm === undefined) throw new Error('no JWT algorithm configured');
  const key: JWTVerifyGetKey | CryptoKey =
    settings.jwksUrl !== null
      ? createRemoteJWKSet(settings.jwksUrl)
      : await importSPKI(settings.publicKeyPem ?? '', firstAlgorithm);
  const options = {
    issuer: settings.issuer,
    audience: settings.audience,
    // One configured key signs with one algorithm: a token naming another is refused as such.
    algorithms: settings.jwksUrl !== null ? [...settings.algorithms] : [firstAlgorithm],
    clockTolerance: settings.clockSkewSeconds,
    requiredClaims: ['sub', 'exp'],
  };
  return {
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
