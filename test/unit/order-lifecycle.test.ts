import { expect } from 'chai';
import {
  canTransition,
  hasUnpublishedEvent,
  isFinal,
  newPendingOrder,
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
});
