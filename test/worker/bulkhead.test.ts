import { expect } from 'chai';
import nock from 'nock';
import { withBulkhead } from '../../src/worker/lookups/bulkhead.js';
import { LookupError } from '../../src/worker/lookups/lookup-error.js';
import { createUserReader } from '../../src/worker/lookups/services.js';
import { useFencedBreakers } from '../support/fenced-breakers.js';
import { USERS } from '../support/fenced-services.js';

const patient = { timeoutMs: 2000, patient: true };
// Opens after 2 failures: if refused calls counted, the 5 refusals below would open it.
const settings = { errorThresholdPercentage: 50, volumeThreshold: 2, resetTimeoutMs: 10_000 };

describe('bulkhead per service (HTTP fenced by nock)', () => {
  const fenced = useFencedBreakers(settings);

  it('when the service hangs and the bulkhead is full, then further calls are refused at once as saturated, without a request and without touching a breaker', async () => {
    nock(USERS)
      .get(/\/users\/hung-\d/)
      .times(3)
      .delay(300)
      .reply(200, { firstName: 'Ada', lastName: 'Lovelace' });
    const bulkhead = withBulkhead(createUserReader(USERS, fenced.breakers), {
      dependency: 'user',
      maxInFlight: 3,
    });
    const hung = [0, 1, 2].map((i) => bulkhead.read(`hung-${i}`, patient, null));
    expect(bulkhead.inFlight()).to.equal(3);

    const started = performance.now();
    const refused = await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        bulkhead.read(`other-${i}`, patient, null).catch((error: unknown) => error),
      ),
    );
    expect(performance.now() - started, 'refused without waiting (ms)').to.be.below(50);
    for (const error of refused) {
      expect(error).to.be.instanceOf(LookupError);
      expect((error as LookupError).failure).to.include({ cause: 'saturated', limit: 3 });
    }
    // No request was made for them (nock would have failed it as unreachable), and no breaker
    // exists or opened for them.
    expect(fenced.breakers.states().filter(({ state }) => state !== 'closed')).to.deep.equal([]);

    const answers = await Promise.all(hung);
    expect(answers.map((user) => user.lastName)).to.deep.equal(Array(3).fill('Lovelace'));
    expect(bulkhead.inFlight()).to.equal(0);
  });

  it('when a call ends, failed or not, then its place is free for the next one', async () => {
    nock(USERS).get('/users/u1').reply(500);
    nock(USERS).get('/users/u2').reply(200, { firstName: 'Alan', lastName: 'Turing' });
    const bulkhead = withBulkhead(createUserReader(USERS, fenced.breakers), {
      dependency: 'user',
      maxInFlight: 1,
    });
    const failed = await bulkhead.read('u1', patient, null).catch((error: unknown) => error);
    expect((failed as LookupError).failure.cause).to.equal('http-error');
    expect(bulkhead.inFlight()).to.equal(0);
    expect((await bulkhead.read('u2', patient, null)).lastName).to.equal('Turing');
  });
});
