import { expect } from 'chai';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SignJWT,
  base64url,
  exportJWK,
  generateKeyPair,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import { createdOrderEvent } from '../../src/shared/domain/created-order-message.js';
import type { Order } from '../../src/shared/domain/order.js';
import { createMongoOrderRepository } from '../../src/shared/persistence/mongo-order-repository.js';
import { useApi } from '../support/api-fixture.js';
import { apiKeyEnvironment, postOrder } from '../support/api-server.js';
import { eventually } from '../support/eventually.js';
import { metricValue } from '../support/metrics.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'order-service';

/** AUTH_MODE=jwt with keys from `jwksUrl`, as an operator would configure it. */
function jwtEnvironment(jwksUrl: string): Record<string, string> {
  return {
    AUTH_MODE: 'jwt',
    AUTH_JWKS_URL: jwksUrl,
    AUTH_JWT_ISSUER: ISSUER,
    AUTH_JWT_AUDIENCE: AUDIENCE,
    AUTH_JWT_ALGORITHMS: 'ES256',
    AUTH_CLOCK_SKEW: '30s',
  };
}
const KEY_ID = 'signing-key-1';

/** A JWKS endpoint the test itself serves, with the public half of `publicKey`. */
async function serveJwks(publicKey: CryptoKey): Promise<{ url: URL; close(): Promise<void> }> {
  const jwk = { ...(await exportJWK(publicKey)), kid: KEY_ID, alg: 'ES256', use: 'sig' };
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`),
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

async function problemOf(response: Response): Promise<{ type?: string; detail?: string }> {
  expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
  return (await response.json()) as { type?: string; detail?: string };
}

/** A token that would pass if its key could be checked: signed by a fresh ES256 key. */
async function anyWellFormedToken(): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT({ scope: 'orders:write' })
    .setProtectedHeader({ alg: 'ES256', kid: KEY_ID })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('alice')
    .setExpirationTime('5m')
    .sign(privateKey);
}

const bearer = (token: string) => ({
  'content-type': 'application/json',
  authorization: `Bearer ${token}`,
});
const order = (user_id: string) => JSON.stringify({ user_id, product_code: 'classic-box' });

describe('authentication and scoped access (real app and services)', () => {
  describe('AUTH_MODE=jwt, keys from a JWKS the test serves', () => {
    let signingKey: CryptoKey;
    let strangerKey: CryptoKey;
    let jwks: { url: URL; close(): Promise<void> };
    const fixture = useApi('test_auth_jwt', {
      env: async () => {
        const pair = await generateKeyPair('ES256');
        signingKey = pair.privateKey;
        strangerKey = (await generateKeyPair('ES256')).privateKey;
        jwks = await serveJwks(pair.publicKey);
        return jwtEnvironment(jwks.url.href);
      },
    });
    after(() => jwks.close());

    /** A real ES256 token; `claims` and `options` override the good defaults. */
    function token(
      claims: JWTPayload & { scope?: string } = {},
      options: { key?: CryptoKey; expiresAt?: number } = {},
    ): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: ISSUER,
        aud: AUDIENCE,
        sub: 'alice',
        scope: 'orders:write orders:read',
        ...claims,
      })
        .setProtectedHeader({ alg: 'ES256', kid: KEY_ID })
        .setIssuedAt(now - 60)
        .setExpirationTime(options.expiresAt ?? now + 300)
        .sign(options.key ?? signingKey);
    }

    async function refusal(headers: Record<string, string>) {
      const response = await postOrder(fixture.api.url, order('alice'), headers);
      expect(response.status).to.equal(401);
      const challenge = response.headers.get('www-authenticate') ?? '';
      expect(challenge).to.match(/^Bearer realm="orders"/);
      expect(await problemOf(response)).to.include({ type: '/problems/unauthenticated' });
      return challenge;
    }

    it('when no token is sent, then 401 with a Bearer challenge, and nothing is stored', async () => {
      const before = await fixture.mongo.db.collection('orders').countDocuments();
      expect(await refusal({ 'content-type': 'application/json' })).to.equal(
        'Bearer realm="orders"',
      );
      expect(await fixture.mongo.db.collection('orders').countDocuments()).to.equal(before);
    });

    it('when the token has expired (past the clock skew), then 401 invalid_token says so', async () => {
      const expired = await token({}, { expiresAt: Math.floor(Date.now() / 1000) - 120 });
      expect(await refusal(bearer(expired)))
        .to.include('error="invalid_token"')
        .and.include('expired');
    });

    it('when the token expired within the clock skew, then it is still accepted', async () => {
      const justExpired = await token({}, { expiresAt: Math.floor(Date.now() / 1000) - 10 });
      expect(
        (await postOrder(fixture.api.url, order('alice'), bearer(justExpired))).status,
      ).to.equal(202);
    });

    it('when the token is for another audience or from another issuer, then 401', async () => {
      expect(await refusal(bearer(await token({ aud: 'another-service' })))).to.include('aud');
      expect(await refusal(bearer(await token({ iss: 'https://evil.test' })))).to.include('iss');
    });

    it('when the token is signed by a key the JWKS does not hold, then 401', async () => {
      const forged = await token({}, { key: strangerKey });
      expect(await refusal(bearer(forged))).to.include('not signed by a trusted key');
    });

    it('when the token is unsigned (alg: none), then 401', async () => {
      const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const now = Math.floor(Date.now() / 1000);
      const payload = base64url.encode(
        JSON.stringify({
          iss: ISSUER,
          aud: AUDIENCE,
          sub: 'alice',
          exp: now + 300,
          scope: 'orders:write:any orders:read:any',
        }),
      );
      expect(await refusal(bearer(`${header}.${payload}.`))).to.include('error="invalid_token"');
    });

    it('when the token lacks the scope an operation needs, then 403 insufficient_scope', async () => {
      const readOnly = await token({ scope: 'orders:read' });
      const post = await postOrder(fixture.api.url, order('alice'), bearer(readOnly));
      expect(post.status).to.equal(403);
      expect(post.headers.get('www-authenticate')).to.include('error="insufficient_scope"');
      expect(await problemOf(post)).to.deep.include({
        type: '/problems/insufficient-scope',
        detail: 'This needs the orders:write scope.',
      });
      const noScope = await token({ scope: '' });
      const read = await fetch(`${fixture.api.url}/orders`, { headers: bearer(noScope) });
      expect(read.status).to.equal(403);
    });

    it('when a caller orders for another user, then 403 unless it holds orders:write:any', async () => {
      const alice = await token();
      const refused = await postOrder(fixture.api.url, order('bob'), bearer(alice));
      expect(refused.status).to.equal(403);
      expect(await problemOf(refused)).to.include({ type: '/problems/order-for-another-user' });
      const service = await token({ sub: 'checkout-service', scope: 'orders:write:any' });
      const accepted = await postOrder(fixture.api.url, order('bob'), bearer(service));
      expect(accepted.status).to.equal(202);
      expect(((await accepted.json()) as { user_id: string }).user_id).to.equal('bob');
    });

    it("when a caller reads another subject's order, then 404 at once, even when asked to wait; orders:read:any reads it", async () => {
      const bob = await token({ sub: 'bob' });
      const posted = await postOrder(fixture.api.url, order('bob'), bearer(bob));
      const { id } = (await posted.json()) as { id: string };
      const alice = await token();
      const started = performance.now();
      const hidden = await fetch(`${fixture.api.url}/orders/${id}`, {
        headers: { ...bearer(alice), prefer: 'wait=5' },
      });
      expect(hidden.status).to.equal(404);
      expect(await problemOf(hidden)).to.include({ type: '/problems/order-not-found' });
      expect(performance.now() - started, 'answered without waiting (ms)').to.be.below(2000);
      expect(
        (await fetch(`${fixture.api.url}/orders/${id}`, { headers: bearer(bob) })).status,
      ).to.equal(200);
      const operator = await token({ sub: 'ops', scope: 'orders:read:any' });
      expect(
        (await fetch(`${fixture.api.url}/orders/${id}`, { headers: bearer(operator) })).status,
      ).to.equal(200);
    });

    it('when a caller lists orders, then it sees only its own, whatever user_id it asks for; orders:read:any sees the one asked for', async () => {
      const carol = await token({ sub: 'carol' });
      const dave = await token({ sub: 'dave' });
      for (const [user, credential] of [
        ['carol', carol],
        ['dave', dave],
      ] as const) {
        expect((await postOrder(fixture.api.url, order(user), bearer(credential))).status).to.equal(
          202,
        );
      }
      const list = async (credential: string, query = '') => {
        const response = await fetch(`${fixture.api.url}/orders${query}`, {
          headers: bearer(credential),
        });
        expect(response.status).to.equal(200);
        const page = (await response.json()) as { items: { user_id: string }[] };
        return [...new Set(page.items.map((item) => item.user_id))];
      };
      expect(await list(carol)).to.deep.equal(['carol']);
      expect(await list(carol, '?user_id=dave'), "dave's orders, asked by carol").to.deep.equal([]);
      const operator = await token({ sub: 'ops', scope: 'orders:read:any' });
      expect(await list(operator, '?user_id=dave')).to.deep.equal(['dave']);
    });

    it('when two clients send the same Idempotency-Key, then each gets its own order, and each replay its own', async () => {
      const key = randomUUID();
      const withKey = (credential: string) => ({ ...bearer(credential), 'idempotency-key': key });
      const shop = await token({ sub: 'shop', scope: 'orders:write:any orders:read:any' });
      const other = await token({ sub: 'other-shop', scope: 'orders:write:any' });
      const first = await postOrder(fixture.api.url, order('erin'), withKey(shop));
      const second = await postOrder(fixture.api.url, order('erin'), withKey(other));
      const replay = await postOrder(fixture.api.url, order('erin'), withKey(shop));
      expect([first.status, second.status, replay.status]).to.deep.equal([202, 202, 202]);
      const [a, b, c] = (await Promise.all([first.json(), second.json(), replay.json()])) as {
        id: string;
      }[];
      expect(b?.id, "the other client's order").to.not.equal(a?.id);
      expect(second.headers.get('idempotent-replayed')).to.equal(null);
      expect(c?.id, 'the replay').to.equal(a?.id);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
    });
    it('when a write-only caller replays an order that has since CONFIRMED, then the replay shows only what the first answer had; with a read scope it shows the order', async () => {
      const key = { 'idempotency-key': randomUUID() };
      const writeOnly = await token({ sub: 'checkout', scope: 'orders:write:any' });
      const first = await postOrder(fixture.api.url, order('ada'), {
        ...bearer(writeOnly),
        ...key,
      });
      const accepted = (await first.json()) as Record<string, unknown> & { id: string };
      const details = {
        customer_fullname: 'Ada Lovelace',
        product_name: 'Classic Box',
        total_amount: 39.9,
      };
      const orders = createMongoOrderRepository(fixture.mongo.db);
      const stored = await orders.findById(accepted.id);
      const now = new Date(Date.now() + 1000);
      const event = createdOrderEvent(stored as Order, details, {
        messageId: randomUUID(),
        producer: 'order-service',
        now,
        leaseMs: 60_000,
      });
      await orders.settle(accepted.id, { status: 'CONFIRMED', details, event }, { now });

      const replay = await postOrder(fixture.api.url, order('ada'), {
        ...bearer(writeOnly),
        ...key,
      });
      expect(replay.status).to.equal(202);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
      expect(replay.headers.get('location')).to.equal(`/orders/${accepted.id}`);
      expect(await replay.json(), 'the replay').to.deep.equal(accepted);
      const read = await fetch(`${fixture.api.url}/orders/${accepted.id}`, {
        headers: bearer(writeOnly),
      });
      expect(read.status, 'GET with the same token').to.equal(403);

      const writeAndRead = await token({
        sub: 'checkout',
        scope: 'orders:write:any orders:read:any',
      });
      const readable = await postOrder(fixture.api.url, order('ada'), {
        ...bearer(writeAndRead),
        ...key,
      });
      expect(await readable.json(), 'the replay with a read scope').to.include({
        status: 'CONFIRMED',
        ...details,
      });
    });

    it("when an operator re-drove an order, then its owner's history says `by: operator` without the name, and orders:read:any sees the name", async () => {
      const grace = await token({ sub: 'grace' });
      const posted = await postOrder(fixture.api.url, order('grace'), bearer(grace));
      const { id } = (await posted.json()) as { id: string };
      const failure = { code: 'PRODUCT_SERVICE_ERROR', message: 'HTTP 500' };
      await createMongoOrderRepository(fixture.mongo.db).settle(
        id,
        { status: 'FAILED', failure },
        { now: new Date() },
      );
      const operator = await token({ sub: 'on-call-ines', scope: 'orders:redrive' });
      const redriven = await fetch(`${fixture.api.url}/admin/orders/${id}/retry`, {
        method: 'POST',
        headers: bearer(operator),
      });
      expect(redriven.status).to.equal(202);

      const historyAs = async (credential: string) => {
        const response = await fetch(`${fixture.api.url}/orders/${id}?include=history`, {
          headers: bearer(credential),
        });
        expect(response.status).to.equal(200);
        const { history } = (await response.json()) as { history: Record<string, unknown>[] };
        return history.filter((entry) => entry.by === 'operator');
      };
      const [seenByOwner] = await historyAs(grace);
      expect(seenByOwner).to.include({ from: 'FAILED', to: 'PENDING', generation: 1 });
      expect(seenByOwner).not.to.have.property('operator');
      expect(JSON.stringify(await historyAs(grace))).not.to.include('on-call-ines');
      const reader = await token({ sub: 'ops', scope: 'orders:read:any' });
      const [seenByOperators] = await historyAs(reader);
      expect(seenByOperators).to.include({ by: 'operator', operator: 'on-call-ines' });
    });
  });

  describe('AUTH_MODE=jwt, the key server goes away after the keys were fetched', () => {
    let signingKey: CryptoKey;
    let jwks: { url: URL; close(): Promise<void> };
    const fixture = useApi('test_auth_jwks_outage', {
      env: async () => {
        const pair = await generateKeyPair('ES256');
        signingKey = pair.privateKey;
        jwks = await serveJwks(pair.publicKey);
        // Refreshed every 200 ms: the outage below outlasts the keys' refresh many times over.
        return { ...jwtEnvironment(jwks.url.href), AUTH_JWKS_REFRESH: '200ms' };
      },
    });

    const signed = (key: CryptoKey, keyId: string) =>
      new SignJWT({ scope: 'orders:read' })
        .setProtectedHeader({ alg: 'ES256', kid: keyId })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject('alice')
        .setExpirationTime('5m')
        .sign(key);
    const list = (credential: string) =>
      fetch(`${fixture.api.url}/orders`, { headers: bearer(credential) });

    it('when the key server stops for longer than the refresh interval, then valid tokens keep working, a token naming a key not held gets 503 with Retry-After, and the failed fetches are counted', async () => {
      const valid = await signed(signingKey, KEY_ID);
      expect((await list(valid)).status, 'before the outage').to.equal(200);

      await jwks.close();
      const failures = () => metricValue(fixture.api.opsUrl, 'auth_key_fetch_failures_total');
      // After a failed fetch the next waits 5 s: two failures mean an outage of 25 refreshes.
      await eventually(failures, (count) => count >= 2, {
        what: 'two failed fetches of the keys',
      });

      expect((await list(valid)).status, 'a valid token in the outage').to.equal(200);
      const rotated = await signed((await generateKeyPair('ES256')).privateKey, 'signing-key-2');
      const unknownKey = await list(rotated);
      expect(unknownKey.status, 'a key the service does not hold').to.equal(503);
      expect(unknownKey.headers.get('retry-after')).to.equal('5');
      expect(await problemOf(unknownKey)).to.include({
        type: '/problems/authentication-unavailable',
      });
    });
  });

  describe('AUTH_MODE=jwt, the JWKS cannot be fetched', () => {
    const fixture = useApi('test_auth_nojwks', {
      env: () => jwtEnvironment('http://127.0.0.1:1/jwks.json'),
    });

    it('when a token comes in, then 503 with Retry-After, not a 401 that blames the caller', async () => {
      const credential = await anyWellFormedToken();
      const response = await postOrder(fixture.api.url, order('alice'), bearer(credential));
      expect(response.status).to.equal(503);
      expect(response.headers.get('retry-after')).to.equal('5');
      expect(await problemOf(response)).to.include({
        type: '/problems/authentication-unavailable',
      });
    });
  });

  describe('AUTH_MODE=jwt, the JWKS answers with an error', () => {
    let broken: Server;
    const fixture = useApi('test_auth_badjwks', {
      env: async () => {
        broken = createServer((_request, response) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end('upstream trouble');
        });
        await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
        const { port } = broken.address() as AddressInfo;
        return jwtEnvironment(`http://127.0.0.1:${port}/jwks.json`);
      },
    });
    after(() => {
      broken.close();
    });

    it('when a token comes in, then 503 too: the keys could not be had, the token may be fine', async () => {
      const credential = await anyWellFormedToken();
      const response = await postOrder(fixture.api.url, order('alice'), bearer(credential));
      expect(response.status).to.equal(503);
      expect(await problemOf(response)).to.include({
        type: '/problems/authentication-unavailable',
      });
    });
  });

  describe('AUTH_MODE=api-key', () => {
    const shopKey = `sk_${randomUUID()}`;
    const readerKey = `sk_${randomUUID()}`;
    const operatorKey = `sk_${randomUUID()}`;
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const fixture = useApi('test_auth_keys', {
      env: () =>
        apiKeyEnvironment([
          { client_id: 'shop', key_sha256: sha256(shopKey), scopes: ['orders:write:any'] },
          { client_id: 'reporting', key_sha256: sha256(readerKey), scopes: ['orders:read:any'] },
          { client_id: 'on-call', key_sha256: sha256(operatorKey), scopes: ['orders:redrive'] },
        ]),
    });

    it('when an operator key re-drives an order, then its scope decides: orders:redrive may, others get 403', async () => {
      const accepted = await postOrder(fixture.api.url, order('frank'), bearer(shopKey));
      const { id } = (await accepted.json()) as { id: string };
      const retry = (key: string) =>
        fetch(`${fixture.api.url}/admin/orders/${id}/retry`, {
          method: 'POST',
          headers: bearer(key),
        });
      const byShop = await retry(shopKey);
      expect(byShop.status).to.equal(403);
      expect(byShop.headers.get('www-authenticate')).to.include('insufficient_scope');
      // Past authentication the order speaks: it is PENDING, so not one to re-drive.
      expect((await retry(operatorKey)).status).to.equal(409);
      const orders = createMongoOrderRepository(fixture.mongo.db);
      const failure = { code: 'PRODUCT_SERVICE_ERROR', message: 'HTTP 500' };
      await orders.settle(id, { status: 'FAILED', failure }, { now: new Date() });
      const byOperator = await retry(operatorKey);
      expect(byOperator.status).to.equal(202);
      // The history names the key's client as the operator.
      expect((await orders.findById(id))?.history.at(-1)).to.deep.include({
        by: 'operator',
        operator: 'on-call',
      });
      const none = await fetch(`${fixture.api.url}/admin/orders/${id}/retry`, { method: 'POST' });
      expect(none.status).to.equal(401);
      expect(none.headers.get('www-authenticate')).to.equal('Bearer realm="orders"');
    });

    it('when a configured key is sent, then its client may do what its scopes allow, and no more', async () => {
      const accepted = await postOrder(fixture.api.url, order('frank'), bearer(shopKey));
      expect(accepted.status).to.equal(202);
      const { id } = (await accepted.json()) as { id: string };
      const byShop = await fetch(`${fixture.api.url}/orders/${id}`, { headers: bearer(shopKey) });
      expect(byShop.status, 'the shop may not read').to.equal(403);
      const byReporting = await fetch(`${fixture.api.url}/orders/${id}`, {
        headers: bearer(readerKey),
      });
      expect(byReporting.status).to.equal(200);
      const write = await postOrder(fixture.api.url, order('frank'), bearer(readerKey));
      expect(write.status, 'reporting may not write').to.equal(403);
    });

    it('when an unknown key is sent, then 401 invalid_token', async () => {
      const response = await postOrder(fixture.api.url, order('frank'), bearer('sk_unknown'));
      expect(response.status).to.equal(401);
      expect(response.headers.get('www-authenticate')).to.include('error="invalid_token"');
    });
  });
});
