import { expect } from 'chai';
import { SignJWT, exportSPKI, generateKeyPair } from 'jose';
import { AuthenticationError } from '../../src/api/auth/authenticator.js';
import { createJwtAuthenticator } from '../../src/api/auth/jwt-authenticator.js';

describe('JWT authenticator with one configured public key', () => {
  it('when a token signed by its private half comes in, then the caller is its subject with its scopes; HS256, another algorithm and no subject are refused', async () => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const authenticator = await createJwtAuthenticator({
      jwksUrl: null,
      publicKeyPem: await exportSPKI(publicKey),
      issuer: 'https://issuer.test',
      audience: 'order-service',
      // Wider than the key: only its own algorithm (the first) may be accepted.
      algorithms: ['EdDSA', 'ES256', 'RS256'],
      clockSkewSeconds: 0,
      keyRefreshMs: 300_000,
    });
    const claims = { iss: 'https://issuer.test', aud: 'order-service', sub: 'alice' };
    const good = await new SignJWT({ ...claims, scp: ['orders:read', 'orders:write'] })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(await authenticator.authenticate(good)).to.deep.equal({
      clientId: 'alice',
      subject: 'alice',
      scopes: new Set(['orders:read', 'orders:write']),
    });

    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a-shared-secret-anyone-could-guess'));
    const refused = await authenticator.authenticate(hmac).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(AuthenticationError);
    expect((refused as AuthenticationError).reason).to.equal(
      "the token's algorithm is not accepted",
    );

    const otherAlgorithm = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256' })
      .setExpirationTime('5m')
      .sign((await generateKeyPair('ES256')).privateKey);
    const wrongAlgorithm = await authenticator
      .authenticate(otherAlgorithm)
      .catch((error: unknown) => error);
    expect(wrongAlgorithm, 'an ES256 token against an EdDSA key').to.be.instanceOf(
      AuthenticationError,
    );

    const noSubject = await new SignJWT({ iss: claims.iss, aud: claims.aud })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setExpirationTime('5m')
      .sign(privateKey);
    const anonymous = await authenticator.authenticate(noSubject).catch((error: unknown) => error);
    expect(anonymous, 'a token without sub').to.be.instanceOf(AuthenticationError);
  });
});
