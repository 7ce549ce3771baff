import { expect } from 'chai';
import { bucketsDue, expiryBucket } from '../../src/shared/persistence/expiry-buckets.js';

describe('expiry buckets', () => {
  it('when a record is kept until some time within a minute, then its bucket is the next minute', () => {
    expect(expiryBucket(new Date('2026-12-02T10:15:00.001Z'))).to.equal('2026-12-02T10:16');
    expect(expiryBucket(new Date('2026-12-02T23:59:30.000Z'))).to.equal('2026-12-03T00:00');
  });

  it('when a record is kept until a whole minute, then its bucket is that minute', () => {
    expect(expiryBucket(new Date('2026-12-02T10:15:00.000Z'))).to.equal('2026-12-02T10:15');
  });

  it('when a pass follows another, then it deletes every bucket begun since, oldest first', () => {
    const due = bucketsDue('2026-12-02T10:15', new Date('2026-12-02T10:18:59.999Z'));
    expect(due).to.deep.equal(['2026-12-02T10:16', '2026-12-02T10:17', '2026-12-02T10:18']);
  });

  it('when no bucket has begun since the last pass, then a pass deletes none', () => {
    expect(bucketsDue('2026-12-02T10:15', new Date('2026-12-02T10:15:40Z'))).to.deep.equal([]);
  });

  it('when no pass ran before, then a pass covers the last hour', () => {
    const due = bucketsDue(null, new Date('2026-12-02T10:15:20Z'));
    expect(due).to.have.length(61);
    expect(due[0]).to.equal('2026-12-02T09:15');
    expect(due.at(-1)).to.equal('2026-12-02T10:15');
  });

  it('when the last pass was long ago, then a pass catches up at most its limit, from the oldest', () => {
    const due = bucketsDue('2026-11-01T00:00', new Date('2026-12-02T10:15:00Z'), 3);
    expect(due).to.deep.equal(['2026-11-01T00:01', '2026-11-01T00:02', '2026-11-01T00:03']);
  });

  it('when a bucket has begun by a pass, then every record in it was due', () => {
    // The property the sweep rests on, over keep-until times across a day.
    for (let ms = 0; ms < 86_400_000; ms += 61_111) {
      const keepUntil = new Date(Date.UTC(2026, 11, 2) + ms);
      const bucket = expiryBucket(keepUntil);
      const sweptAt = new Date(`${bucket}:00.000Z`);
      expect(sweptAt.getTime()).to.be.at.least(keepUntil.getTime());
      expect(bucketsDue(null, sweptAt)).to.include(bucket);
      expect(bucketsDue(null, new Date(sweptAt.getTime() - 1))).not.to.include(bucket);
    }
  });
});
