import { expect } from 'chai';
import { firstLease } from '../../src/shared/domain/outbox-lease.js';
import type { OutboxEvent } from '../../src/shared/domain/order.js';
import {
  hasTimeToPublish,
  isAbandoned,
  leaseAfter,
  nextLease,
} from '../../src/shared/persistence/mongo-outbox-leases.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));

function eventWith(lease: OutboxEvent['lease'], publishedAt: Date | null = null): OutboxEvent {
  return {
    message_id: 'm',
    routing_key: 'created_order',
    message: {} as never,
    correlation_id: null,
    published_at: publishedAt,
    lease,
  };
}

describe('MongoDB outbox lease rules', () => {
  it('when a relay takes over, then it asks for the next generation from now', () => {
    const event = eventWith({ generation: 3, expires_at: at(10) });
    expect(nextLease(event, at(40), 5000)).to.deep.equal({ generation: 4, expires_at: at(45) });
  });

  it('when less than half the lease is left, then the holder leaves the publish to the relay', () => {
    const lease = firstLease(at(0), 30_000);
    expect(hasTimeToPublish(lease, at(15), 30_000)).to.be.true;
    expect(hasTimeToPublish(lease, at(16), 30_000)).to.be.false;
  });

  it('when a claim is older than a lease while its event is still up for relay, then it is abandoned and the next generation takes over', () => {
    const claim = { generation: 4, claimed_at: at(0) };
    expect(isAbandoned(claim, at(29), 30_000)).to.be.false;
    expect(isAbandoned(claim, at(30), 30_000)).to.be.true;
    expect(leaseAfter(claim, at(30), 30_000)).to.deep.equal({ generation: 5, expires_at: at(60) });
  });
});
