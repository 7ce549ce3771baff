import { expect } from 'chai';
import { timeoutForAttempt } from '../../src/shared/domain/attempt-timeouts.js';

describe('attempt time limits', () => {
  const timeouts = { firstMs: 2000, patientMs: 75_000 };

  it('when it is the first attempt, then the short limit applies', () => {
    expect(timeoutForAttempt(1, timeouts)).to.deep.equal({ timeoutMs: 2000, patient: false });
  });

  it('when it is a later attempt, then the patient limit applies so a slow service can answer', () => {
    expect(timeoutForAttempt(2, timeouts)).to.deep.equal({ timeoutMs: 75_000, patient: true });
    expect(timeoutForAttempt(6, timeouts)).to.deep.equal({ timeoutMs: 75_000, patient: true });
  });

  it('when the first limit is not shorter than the patient one, then every attempt is patient', () => {
    expect(timeoutForAttempt(1, { firstMs: 5000, patientMs: 5000 })).to.deep.equal({
      timeoutMs: 5000,
      patient: true,
    });
  });
});
