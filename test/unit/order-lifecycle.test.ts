import { expect } from 'chai';
import {
  canTransition,
  hasUnpublishedEvent,
  isFinal,
  newPendingOrder,
  redriveRefusal,
  redrivenOrder,
  sourceStatesFor,
} from '../../src/shared/domain/order-lifecycle.js';
import { ORDER_STATUSES } from '../../src/shared/domain/order.js';

describe('order lifecycle', () => {
  it('when an order is new, then it is PENDING with nothing looked up yet', () => {
    const now = new Date('2026-01-02T03:04:05.000Z');
    const order = newPendingOrder(
      { id: 'o-1', user_id: 'u', product_code: 'p', request_id: 'r-1' },
      now,
    );
    expect(order).to.deep.equal({
      id: 'o-1',
      user_id: 'u',
      product_code: 'p',
      status: 'PENDING',
      customer_fullname: null,
      product_name: null,
      total_amount: null,
      failure: null,
      created_at: now,
      updated_at: now,
      event: null,
      request_id: 'r-1',
      history: [{ type: 'state', at: now, from: null, to: 'PENDING', by: 'api' }],
      generation: 0,
      redriven_at: null,
    });
  });

  it('when an order is PENDING, then it may become CONFIRMED or FAILED and nothing else', () => {
    expect(canTransition('PENDING', 'CONFIRMED')).to.be.true;
    expect(canTransition('PENDING', 'FAILED')).to.be.true;
    expect(canTransition('PENDING', 'PENDING')).to.be.false;
  });

  it('when an order is CONFIRMED or FAILED, then it never moves again', () => {
    for (const from of ['CONFIRMED', 'FAILED'] as const) {
      expect(isFinal(from)).to.be.true;
      for (const to of ORDER_STATUSES)
        expect(canTransition(from, to), `${from} → ${to}`).to.be.false;
    }
    expect(isFinal('PENDING')).to.be.false;
  });

  it('when a move to a final state is checked in the store, then only PENDING orders qualify', () => {
    expect(sourceStatesFor('CONFIRMED')).to.deep.equal(['PENDING']);
    expect(sourceStatesFor('FAILED')).to.deep.equal(['PENDING']);
    expect(sourceStatesFor('PENDING')).to.deep.equal([]);
  });

  it('when an order carries an event the broker has not confirmed, then it is unpublished', () => {
    const order = newPendingOrder(
      { id: 'o', user_id: 'u', product_code: 'p', request_id: null },
      new Date(),
    );
    expect(hasUnpublishedEvent(order)).to.be.false;
    const event = {
      message_id: 'm',
      routing_key: 'created_order',
      message: {} as never,
      correlation_id: null,
      published_at: null,
      lease: { generation: 1, expires_at: new Date() },
    };
    expect(hasUnpublishedEvent({ ...order, event })).to.be.true;
    expect(hasUnpublishedEvent({ ...order, event: { ...event, published_at: new Date() } })).to.be
      .false;
  });

  describe('re-drive', () => {
    const accepted = new Date('2026-01-02T03:04:05.000Z');
    const failedAt = new Date('2026-01-02T03:05:00.000Z');
    const failed = {
      ...newPendingOrder(
        { id: 'o-1', user_id: 'u', product_code: 'p', request_id: null },
        accepted,
      ),
      status: 'FAILED' as const,
      failure: { code: 'PRODUCT_SERVICE_ERROR', message: 'HTTP 500' },
      updated_at: failedAt,
    };

    it('when a FAILED order is re-driven, then it is PENDING in the next generation, without failure or event, its deadline from now, and the operator in its history', () => {
      const now = new Date('2026-01-03T00:00:00.000Z');
      const order = redrivenOrder(failed, now, 'ops');
      expect(order).to.deep.include({
        status: 'PENDING',
        failure: null,
        event: null,
        generation: 1,
        redriven_at: now,
        updated_at: now,
        created_at: accepted,
      });
      expect(order.history.at(-1)).to.deep.equal({
        type: 'state',
        at: now,
        from: 'FAILED',
        to: 'PENDING',
        by: 'operator',
        operator: 'ops',
        generation: 1,
      });
      expect(redrivenOrder({ ...order, status: 'FAILED' }, now, 'ops').generation).to.equal(2);
    });

    it('when an order is PENDING or CONFIRMED, or FAILED with its event unpublished, then it may not be re-driven', () => {
      expect(redriveRefusal(failed)).to.equal(null);
      expect(redriveRefusal({ ...failed, status: 'PENDING' })).to.equal('not-failed');
      expect(redriveRefusal({ ...failed, status: 'CONFIRMED' })).to.equal('not-failed');
      const event = {
        message_id: 'm',
        routing_key: 'failed_order',
        message: {} as never,
        correlation_id: null,
        lease: { generation: 1, expires_at: failedAt },
      };
      expect(redriveRefusal({ ...failed, event: { ...event, published_at: null } })).to.equal(
        'event-waiting',
      );
      expect(redriveRefusal({ ...failed, event: { ...event, published_at: failedAt } })).to.equal(
        null,
      );
    });
  });
});
