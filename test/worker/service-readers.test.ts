import { expect } from 'chai';
import nock from 'nock';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupFailure } from '../../src/shared/domain/lookup-failure.js';
import { LookupError } from '../../src/worker/lookups/lookup-error.js';
import { createHttpPool, type HttpPool } from '../../src/worker/lookups/http-pool.js';
import { createResourceBreakers } from '../../src/worker/lookups/resource-breakers.js';
import { createProductReader, createUserReader } from '../../src/worker/lookups/services.js';
import { PRODUCTS, USERS } from '../support/fenced-services.js';
import { testLogger } from '../support/test-logger.js';

const quick = { timeoutMs: 300, patient: false };
const patient = { timeoutMs: 300, patient: true };
const relaxedBreakers = {
  errorThresholdPercentage: 50,
  volumeThreshold: 100,
  resetTimeoutMs: 60_000,
};

async function failureOf(lookup: Promise<unknown>): Promise<LookupFailure> {
  try {
    await lookup;
  } catch (error) {
    if (error instanceof LookupError) return error.failure;
    throw error;
  }
  throw new Error('expected the lookup to fail');
}

describe('user and product readers (HTTP fenced by nock)', () => {
  let breakers: ReturnType<typeof createResourceBreakers>;
  let server: Server;
  let serverUrl: string;

  before(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  after(async () => {
    nock.enableNetConnect();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    breakers = createResourceBreakers(relaxedBreakers, testLogger);
  });
  afterEach(() => {
    breakers.shutdown();
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending, 'every stubbed call was made').to.deep.equal([]);
  });

  it('when the user service answers 200, then the user comes back with the fields we use', async () => {
    nock(USERS)
      .get('/users/7c11e1ce2741')
      .reply(200, { id: '7c11e1ce2741', firstName: 'Ada', lastName: 'Lovelace' });
    const user = await createUserReader(USERS, breakers)('7c11e1ce2741', quick, null);
    expect(user).to.deep.equal({ firstName: 'Ada', lastName: 'Lovelace' });
  });

  it('when the product service answers 200, then name and price come back', async () => {
    nock(PRODUCTS)
      .get('/products/classic-box')
      .reply(200, { code: 'classic-box', name: 'Classic Box', price: 9.99 });
    const product = await createProductReader(PRODUCTS, breakers)('classic-box', quick, null);
    expect(product).to.deep.equal({ name: 'Classic Box', price: 9.99 });
  });

  it('when the service answers 404, then the failure is not-found (final)', async () => {
    nock(PRODUCTS)
      .get('/products/nothing')
      .reply(404, 'Request was not matched', { 'content-type': 'text/plain' });
    const failure = await failureOf(
      createProductReader(PRODUCTS, breakers)('nothing', quick, null),
    );
    expect(failure).to.deep.equal({
      dependency: 'product',
      resource: 'nothing',
      cause: 'not-found',
    });
  });

  it('when the service answers 500, then the failure is an http-error with the status', async () => {
    nock(PRODUCTS).get('/products/veggie-box').reply(500);
    const failure = await failureOf(
      createProductReader(PRODUCTS, breakers)('veggie-box', quick, null),
    );
    expect(failure).to.deep.equal({
      dependency: 'product',
      resource: 'veggie-box',
      cause: 'http-error',
      status: 500,
    });
  });

  it('when the service does not answer in time, then the failure is a timeout carrying the limit', async () => {
    nock(PRODUCTS)
      .get('/products/family-box')
      .delay(2000)
      .reply(200, { name: 'Family Box', price: 14.99 });
    const started = Date.now();
    const failure = await failureOf(
      createProductReader(PRODUCTS, breakers)('family-box', quick, null),
    );
    expect(failure).to.deep.equal({
      dependency: 'product',
      resource: 'family-box',
      cause: 'timeout',
      timeoutMs: 300,
      patient: false,
    });
    expect(Date.now() - started).to.be.lessThan(1500);
  });

  it('when the connection fails, then the failure is unreachable', async () => {
    nock(USERS)
      .get('/users/u1')
      .replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    const failure = await failureOf(createUserReader(USERS, breakers)('u1', quick, null));
    expect(failure.cause).to.equal('unreachable');
  });

  it('when the body is an HTML error page, then the failure is invalid-response', async () => {
    nock(USERS)
      .get('/users/u1')
      .reply(200, '<html><body>Oops</body></html>', { 'content-type': 'text/html' });
    const failure = await failureOf(createUserReader(USERS, breakers)('u1', quick, null));
    expect(failure).to.deep.equal({
      dependency: 'user',
      resource: 'u1',
      cause: 'invalid-response',
      detail: 'the body is not JSON',
    });
  });

  it('when the service answers a body without end, then the lookup stops reading at the cap and fails as invalid-response', async () => {
    // A real server, writing as fast as the client reads, until the client hangs up.
    let sent = 0;
    const hungUp = new Promise<void>((resolve) => {
      server.on('request', (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(16_384, 0x20);
        const write = () => {
          while (!response.destroyed && response.write(chunk)) sent += chunk.length;
        };
        response.on('drain', write);
        response.on('close', () => {
          resolve();
        });
        write();
      });
    });
    const failure = await failureOf(
      createProductReader(serverUrl, breakers, { maxBodyBytes: 65_536 })('huge', patient, null),
    );
    expect(failure).to.deep.equal({
      dependency: 'product',
      resource: 'huge',
      cause: 'invalid-response',
      detail: 'the body is longer than 65536 bytes',
    });
    await hungUp;
    // Dropped as soon as it passed the cap: what was sent is the cap plus socket buffers.
    expect(sent).to.be.below(4 * 1_048_576);
  });

  it('when a body is within the cap, then it is read whole', async () => {
    const name = 'x'.repeat(60_000);
    nock(PRODUCTS)
      .get('/products/big')
      .reply(200, { name: name.slice(0, 200), price: 1, notes: name });
    const product = await createProductReader(PRODUCTS, breakers, { maxBodyBytes: 65_536 })(
      'big',
      quick,
      null,
    );
    expect(product.price).to.equal(1);
  });

  it('when the user has no last name, then the failure is invalid-response naming the field', async () => {
    nock(USERS).get('/users/u1').reply(200, { id: 'u1', firstName: 'Ada' });
    const failure = await failureOf(createUserReader(USERS, breakers)('u1', quick, null));
    expect(failure.cause).to.equal('invalid-response');
    expect(failure.cause === 'invalid-response' && failure.detail).to.contain('lastName');
  });

  for (const [label, price] of [
    ['negative', -1],
    ['a string', '9.99'],
    ['missing', undefined],
  ] as const) {
    it(`when the price is ${label}, then the failure is invalid-response naming the price`, async () => {
      nock(PRODUCTS).get('/products/p').reply(200, { name: 'Box', price });
      const failure = await failureOf(createProductReader(PRODUCTS, breakers)('p', quick, null));
      expect(failure.cause).to.equal('invalid-response');
      expect(failure.cause === 'invalid-response' && failure.detail).to.contain('price');
    });
  }

  it('when the price is NaN in the JSON text, then the body is refused as not JSON', async () => {
    nock(PRODUCTS)
      .get('/products/p')
      .reply(200, '{"name":"Box","price":NaN}', { 'content-type': 'application/json' });
    const failure = await failureOf(createProductReader(PRODUCTS, breakers)('p', quick, null));
    expect(failure.cause).to.equal('invalid-response');
  });

  it('when an id has URL characters, then it is sent encoded as one path segment', async () => {
    nock(USERS).get('/users/a%2Fb').reply(200, { firstName: 'A', lastName: 'B' });
    const user = await createUserReader(`${USERS}/`, breakers)('a/b', patient, null);
    expect(user.lastName).to.equal('B');
  });
});

describe("user and product readers over the service's pool (a real local server)", () => {
  let breakers: ReturnType<typeof createResourceBreakers>;
  let server: Server;
  let serverUrl: string;
  let pool: HttpPool;
  const requestIds: (string | undefined)[] = [];

  before(async () => {
    server = createServer((request, response) => {
      requestIds.push(request.headers['x-request-id'] as string | undefined);
      if (request.url === '/users/u1') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ id: 'u1', firstName: 'Ada', lastName: 'Lovelace' }));
      } else if (request.url === '/products/broken') {
        response.writeHead(500).end('boom');
      } else if (request.url === '/products/huge') {
        // Writes as fast as the client reads, until the client hangs up.
        response.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(16_384, 0x20);
        const write = () => {
          while (!response.destroyed && response.write(chunk)) hugeSent += chunk.length;
        };
        response.on('drain', write);
        write();
      } // any other path never answers
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  let hugeSent = 0;
  beforeEach(() => {
    breakers = createResourceBreakers(relaxedBreakers, testLogger);
    pool = createHttpPool();
    requestIds.length = 0;
    hugeSent = 0;
  });
  afterEach(async () => {
    breakers.shutdown();
    await pool.destroy();
  });

  it('when the service answers 200, then the user comes back and the request id went along', async () => {
    const user = await createUserReader(serverUrl, breakers, { pool })('u1', quick, 'req-7');
    expect(user).to.deep.equal({ firstName: 'Ada', lastName: 'Lovelace' });
    expect(requestIds).to.deep.equal(['req-7']);
  });

  it('when the service answers 500, then the failure is an http-error with the status', async () => {
    const failure = await failureOf(
      createProductReader(serverUrl, breakers, { pool })('broken', quick, null),
    );
    expect(failure).to.include({ cause: 'http-error', status: 500 });
  });

  it('when the service does not answer in time, then the failure is a timeout carrying the limit', async () => {
    const failure = await failureOf(
      createUserReader(serverUrl, breakers, { pool })('silent', quick, null),
    );
    expect(failure).to.include({ cause: 'timeout', timeoutMs: 300 });
  });

  it('when the body has no end, then the lookup stops reading at the cap and fails as invalid-response', async () => {
    const failure = await failureOf(
      createProductReader(serverUrl, breakers, { pool, maxBodyBytes: 65_536 })(
        'huge',
        patient,
        null,
      ),
    );
    expect(failure).to.deep.equal({
      dependency: 'product',
      resource: 'huge',
      cause: 'invalid-response',
      detail: 'the body is longer than 65536 bytes',
    });
    // Dropped as soon as it passed the cap: what was sent is the cap plus socket buffers.
    expect(hugeSent).to.be.below(4 * 1_048_576);
  });

  it('when nothing listens, then the failure is unreachable with the socket error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const failure = await failureOf(
      createUserReader(`http://127.0.0.1:${String(port)}`, breakers, { pool })('u1', quick, null),
    );
    expect(failure).to.deep.equal({
      dependency: 'user',
      resource: 'u1',
      cause: 'unreachable',
      detail: 'ECONNREFUSED',
    });
  });
});
