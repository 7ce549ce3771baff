import { expect } from 'chai';
import type { Job } from 'bullmq';
import { attemptFromJob } from '../../src/worker/create-worker.js';
import type { OrderJobData } from '../../src/shared/queue/order-job.js';

function job(attemptsMade: number, stalledCounter: number): Job<OrderJobData> {
  return {
    data: {
      orderId: 'o-1',
      requestId: 'r-1',
      accepted: {
        user_id: 'u',
        product_code: 'p',
        created_at: '2026-01-01T00:00:00.000Z',
      },
    },
    attemptsMade,
    stalledCounter,
    opts: { attempts: 6 },
    updateData: () => Promise.resolve(),
  } as unknown as Job<OrderJobData>;
}

describe('order attempt from a job', () => {
  it('when a job starts, or retries after a failed lookup, then the attempt carries the order as accepted', () => {
    const attempt = attemptFromJob(job(0, 0));
    expect(attempt.accepted).to.deep.include({
      id: 'o-1',
      user_id: 'u',
      product_code: 'p',
      status: 'PENDING',
      request_id: 'r-1',
    });
    expect(attempt.accepted?.created_at.toISOString()).to.equal('2026-01-01T00:00:00.000Z');
    expect(attempt).to.include({ number: 1, isLast: false });
    expect(attemptFromJob(job(2, 0)).accepted?.id).to.equal('o-1');
  });

  it('when a job is picked up after stalling, then the order must be read back', () => {
    expect(attemptFromJob(job(0, 1)).accepted).to.equal(null);
    expect(attemptFromJob(job(3, 1)).accepted).to.equal(null);
    expect(attemptFromJob(job(5, 0)).isLast).to.equal(true);
  });
});
