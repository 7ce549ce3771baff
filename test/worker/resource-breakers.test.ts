import { expect } from 'chai';
import nock from 'nock';
import { LookupError } from '../../src/worker/lookups/lookup-error.js';
import { createResourceBreakers } from '../../src/worker/lookups/resource-breakers.js';
import { createProductReader } from '../../src/worker/lookups/services.js';
import { eventually } from '../support/eventually.js';
import { useFencedBreakers } from '../support/fenced-breakers.js';
import { PRODUCTS } from '../support/fenced-services.js';
import { testLogger } from '../support/test-logger.js';

const limit = { timeoutMs: 200, patient: true };
const settings = { errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeoutMs: 300 };

async function causeOf(lookup: Promise<unknown>): Promise<string> {
  try {
    await lookup;
    return 'ok';
  } catch (error) {
    if (error instanceof LookupError) return error.failure.cause;
    throw error;
  }
}

describe('per-resource circuit fenced.breakers (HTTP fenced by nock)', () => {
  const fenced = useFencedBreakers(settings);

  /** Once the product's open breaker has waited out its reset time and lets a trial call through. */
  function halfOpen() {
    return eventually(
      () => Promise.resolve(fenced.breakers.states()),
      (states) =>
        states.some(({ service, state }) => service === 'product' && state === 'half_open'),
      { what: 'the product breaker to be half-open', timeoutMs: 10 * settings.resetTimeoutMs },
    );
  }

  it('when a product keeps failing, then its breaker opens and later calls fail fast without a request', async () => {
    nock(PRODUCTS).get('/products/veggie-box').times(3).reply(500);
    const read = createProductReader(PRODUCTS, fenced.breakers);
    const causes = [];
    for (let i = 0; i < 3; i++) causes.push(await causeOf(read('veggie-box', limit, null)));
    expect(causes).to.deep.equal(['http-error', 'http-error', 'http-error']);

    // No interceptor is left: a request would fail as unreachable, the breaker answers instead.
    const failure = await read('veggie-box', limit, null).catch((error: unknown) => error);
    expect(failure).to.be.instanceOf(LookupError);
    expect((failure as LookupError).failure).to.deep.equal({
      dependency: 'product',
      resource: 'veggie-box',
      cause: 'circuit-open',
      lastFailure: 'the product service answered HTTP 500 for product veggie-box',
    });
    expect(fenced.breakers.states()).to.deep.include({
      service: 'product',
      state: 'open',
      count: 1,
    });
  });

  it('when a stream of other products passes through after a breaker opened, then that breaker stays open', async () => {
    const few = createResourceBreakers(settings, testLogger, 3);
    try {
      nock(PRODUCTS).get('/products/veggie-box').times(3).reply(500);
      const read = createProductReader(PRODUCTS, few);
      for (let i = 0; i < 3; i++) await causeOf(read('veggie-box', limit, null));
      nock(PRODUCTS)
        .get(/\/products\/other-\d+/)
        .times(10)
        .reply(200, { name: 'Other', price: 1 });
      for (let i = 0; i < 10; i++)
        expect(await causeOf(read(`other-${i}`, limit, null))).to.equal('ok');
      // Evicted, it would have started over closed and sent a request (none is stubbed).
      expect(await causeOf(read('veggie-box', limit, null))).to.equal('circuit-open');
      expect(few.states()).to.deep.include({ service: 'product', state: 'open', count: 1 });
    } finally {
      few.shutdown();
    }
  });

  it('when one product breaker is open, then other products of the same service still go through', async () => {
    nock(PRODUCTS).get('/products/veggie-box').times(3).reply(500);
    nock(PRODUCTS).get('/products/classic-box').reply(200, { name: 'Classic Box', price: 9.99 });
    const read = createProductReader(PRODUCTS, fenced.breakers);
    for (let i = 0; i < 3; i++) await causeOf(read('veggie-box', limit, null));
    expect(await causeOf(read('veggie-box', limit, null))).to.equal('circuit-open');
    expect(await causeOf(read('classic-box', limit, null))).to.equal('ok');
  });

  it('when the reset time has passed, then one trial call goes through and a success closes the breaker', async () => {
    nock(PRODUCTS).get('/products/veggie-box').times(3).reply(500);
    const read = createProductReader(PRODUCTS, fenced.breakers);
    for (let i = 0; i < 3; i++) await causeOf(read('veggie-box', limit, null));
    expect(await causeOf(read('veggie-box', limit, null))).to.equal('circuit-open');

    await halfOpen();
    nock(PRODUCTS)
      .get('/products/veggie-box')
      .times(2)
      .reply(200, { name: 'Veggie Box', price: 8 });
    expect(await causeOf(read('veggie-box', limit, null)), 'half-open trial').to.equal('ok');
    expect(await causeOf(read('veggie-box', limit, null)), 'closed again').to.equal('ok');
  });

  it('when the half-open trial fails, then the breaker opens again', async () => {
    nock(PRODUCTS).get('/products/veggie-box').times(4).reply(500);
    const read = createProductReader(PRODUCTS, fenced.breakers);
    for (let i = 0; i < 3; i++) await causeOf(read('veggie-box', limit, null));
    await halfOpen();
    expect(await causeOf(read('veggie-box', limit, null)), 'half-open trial').to.equal(
      'http-error',
    );
    expect(await causeOf(read('veggie-box', limit, null))).to.equal('circuit-open');
  });

  it('when answers are 404s or short first attempts time out, then the breaker stays closed', async () => {
    nock(PRODUCTS).get('/products/gone').times(5).reply(404);
    nock(PRODUCTS)
      .get('/products/family-box')
      .times(4)
      .delay(500)
      .reply(200, { name: 'Family Box', price: 14.99 });
    const read = createProductReader(PRODUCTS, fenced.breakers);
    for (let i = 0; i < 5; i++)
      expect(await causeOf(read('gone', limit, null))).to.equal('not-found');
    const quick = { timeoutMs: 50, patient: false };
    for (let i = 0; i < 3; i++)
      expect(await causeOf(read('family-box', quick, null))).to.equal('timeout');
    expect(await causeOf(read('family-box', { timeoutMs: 2000, patient: true }, null))).to.equal(
      'ok',
    );
  });
});
