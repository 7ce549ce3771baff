import { expect } from 'chai';
import { preferredWaitSeconds } from '../../src/api/http/prefer-wait.js';

describe('Prefer: wait (RFC 7240)', () => {
  it('when wait is given, alone or among other preferences, then its seconds are read', () => {
    expect(preferredWaitSeconds('wait=10')).to.equal(10);
    expect(preferredWaitSeconds('respond-async, wait=5')).to.equal(5);
    expect(preferredWaitSeconds('WAIT = 7 ; foo=bar')).to.equal(7);
    expect(preferredWaitSeconds(['return=minimal', 'wait="3"'])).to.equal(3);
    expect(preferredWaitSeconds('wait=0')).to.equal(0);
  });

  it('when more than 30 s is asked, then 30 s is what applies', () => {
    expect(preferredWaitSeconds('wait=31')).to.equal(30);
    expect(preferredWaitSeconds('wait=999999999')).to.equal(30);
  });

  it('when there is no readable wait, then there is no preference', () => {
    for (const header of [
      undefined,
      '',
      'respond-async',
      'wait',
      'wait=-1',
      'wait=1.5',
      'wait=soon',
    ]) {
      expect(preferredWaitSeconds(header), String(header)).to.equal(undefined);
    }
  });
});
