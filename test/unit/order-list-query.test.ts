import { expect } from 'chai';
import fc from 'fast-check';
import {
  decodeCursor,
  encodeCursor,
  parseOrderListQuery,
} from '../../src/api/orders/order-list-query.js';
import { ProblemError } from '../../src/api/http/problem.js';

describe('order listing query', () => {
  it('when a cursor is made from an order, then it reads back as the same position', () => {
    fc.assert(
      // Orders are stamped by the server clock and named by random UUIDs.
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }),
        fc.uuid({ version: 4 }),
        (created_at, id) => {
          expect(decodeCursor(encodeCursor({ created_at, id }))).to.deep.equal({ created_at, id });
        },
      ),
    );
  });

  it('when a cursor was not made here, then it is refused', () => {
    for (const forged of ['', 'abc', Buffer.from('{"c":"x","i":"y"}').toString('base64url')]) {
      expect(decodeCursor(forged), forged).to.equal(null);
    }
  });

  it('when nothing is given, then the first page of 20 of every order is asked for', () => {
    expect(parseOrderListQuery({})).to.deep.equal({ after: null, limit: 20 });
  });

  it('when filters are given, then they are passed on as checked values', () => {
    expect(parseOrderListQuery({ user_id: 'u1', status: 'FAILED', limit: '5' })).to.deep.equal({
      userId: 'u1',
      status: 'FAILED',
      after: null,
      limit: 5,
    });
  });

  it('when a parameter is an object or array (user_id[$ne]=x, user_id=a&user_id=b), then it is a 400', () => {
    for (const query of [{ user_id: ['a', 'b'] }, { user_id: { $ne: 'x' } }, { limit: '1e2' }]) {
      expect(() => parseOrderListQuery(query), JSON.stringify(query)).to.throw(ProblemError);
    }
  });
});
