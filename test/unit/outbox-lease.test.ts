import { expect } from 'chai';
import { firstLease } from '../../src/shared/domain/outbox-lease.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));

describe('outbox leases', () => {
  it('when an order is confirmed, then its run holds generation 1 for the lease time', () => {
    expect(firstLease(at(0), 30_000)).to.deep.equal({ generation: 1, expires_at: at(30) });
  });
});
