import { expect } from 'chai';
import { timeoutForAttempt, withinDeadline } from '../../src/shared/domain/attempt-timeouts.js';

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

  it('when the deadline comes before the limit, then the attempt ends at the deadline', () => {
    expect(withinDeadline({ timeoutMs: 75_000, patient: true }, 1200)).to.deep.equal({
      timeoutMs: 1200,
      patient: true,
    });
  });

  it('when the deadline is further than the limit, then the limit stands', () => {
    expect(withinDeadline({ timeoutMs: 2000, patient: false }, 60_000)).to.deep.equal({
      timeoutMs: 2000,
      patient: false,
    });
  });

  it('when the deadline has passed, then the limit is the shortest there is, never zero or less', () => {
    expect(withinDeadline({ timeoutMs: 2000, patient: false }, -50).timeoutMs).to.equal(1);
  });
});
