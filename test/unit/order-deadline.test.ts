import { expect } from 'chai';
import {
  DEADLINE_EXCEEDED,
  deadlineFailure,
  deadlineOf,
  isPastDeadline,
} from '../../src/shared/domain/order-deadline.js';

describe('order deadline', () => {
  const order = { created_at: new Date('2026-01-01T00:00:00.000Z') };
  const tenMinutes = 10 * 60_000;

  it('when the deadline is ten minutes, then it falls ten minutes after acceptance', () => {
    expect(deadlineOf(order, tenMinutes).toISOString()).to.equal('2026-01-01T00:10:00.000Z');
  });

  it('when the deadline is reached, then the order is past it, and not a millisecond before', () => {
    expect(isPastDeadline(order, new Date('2026-01-01T00:09:59.999Z'), tenMinutes)).to.be.false;
    expect(isPastDeadline(order, new Date('2026-01-01T00:10:00.000Z'), tenMinutes)).to.be.true;
  });

  it('when an order misses it, then the failure says DEADLINE_EXCEEDED, the limit and when', () => {
    expect(deadlineFailure(order, tenMinutes)).to.deep.equal({
      code: DEADLINE_EXCEEDED,
      message:
        'the order could not be processed within 600 s of being accepted (deadline 2026-01-01T00:10:00.000Z)',
    });
  });

  it('when the order was re-driven, then its deadline runs from the re-drive, and the failure says so', () => {
    const redriven = { ...order, redriven_at: new Date('2026-01-05T00:00:00.000Z') };
    expect(deadlineOf(redriven, tenMinutes).toISOString()).to.equal('2026-01-05T00:10:00.000Z');
    expect(deadlineFailure(redriven, tenMinutes).message).to.equal(
      'the order could not be processed within 600 s of being re-driven (deadline 2026-01-05T00:10:00.000Z)',
    );
  });
});
