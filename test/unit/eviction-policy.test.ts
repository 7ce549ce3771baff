import { expect } from 'chai';
import { evictionWarning } from '../../src/shared/queue/eviction-policy.js';

describe('Redis eviction policy', () => {
  it('when the policy is noeviction, then there is nothing to warn about', () => {
    expect(evictionWarning('noeviction')).to.equal(null);
  });

  it('when the policy could not be read, then nothing is claimed about it', () => {
    expect(evictionWarning(null)).to.equal(null);
  });

  it('when the policy may evict keys, then the warning names it and the one BullMQ needs', () => {
    expect(evictionWarning('allkeys-lru')).to.equal(
      'maxmemory-policy is allkeys-lru: a full Redis may evict queued jobs; BullMQ needs noeviction',
    );
  });
});
