import { expect } from 'chai';
import { parseOrderRequest } from '../../src/api/orders/order-request.js';
import { ProblemError } from '../../src/api/http/problem.js';

function problemOf(body: unknown) {
  try {
    parseOrderRequest(body);
  } catch (error) {
    if (error instanceof ProblemError) return error.problem;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

describe('order request rules', () => {
  it('when both ids are well formed, then the request is accepted as is', () => {
    expect(
      parseOrderRequest({ user_id: '7c11e1ce2741', product_code: 'classic-box' }),
    ).to.deep.equal({
      user_id: '7c11e1ce2741',
      product_code: 'classic-box',
    });
  });

  it('when a field is missing, then the problem names the field and the rule', () => {
    const problem = problemOf({ user_id: 'u1' });
    expect(problem.status).to.equal(400);
    expect(problem.errors).to.deep.include({
      field: 'product_code',
      rule: 'invalid_type',
      message: 'Invalid input: expected string, received undefined',
    });
  });

  it('when an operator object stands where a string belongs, then it is refused', () => {
    const problem = problemOf({ user_id: { $gt: '' }, product_code: 'classic-box' });
    expect(problem.errors).to.have.length(1);
    expect((problem.errors as { field: string }[])[0]?.field).to.equal('user_id');
  });

  it('when a field is empty, too long or holds other characters, then each rule is named', () => {
    const rules = (body: unknown) =>
      (problemOf(body).errors as { rule: string }[]).map((e) => e.rule);
    expect(rules({ user_id: '', product_code: 'p' })).to.deep.equal(['too_small']);
    expect(rules({ user_id: 'u'.repeat(65), product_code: 'p' })).to.deep.equal(['too_big']);
    expect(rules({ user_id: 'a b', product_code: 'p\n' })).to.deep.equal([
      'invalid_format',
      'invalid_format',
    ]);
  });

  it('when the body has unknown fields, then each is named', () => {
    const problem = problemOf({ user_id: 'u', product_code: 'p', price: 0 });
    expect(problem.errors).to.deep.equal([
      { field: 'price', rule: 'unknown_field', message: 'is not a field of an order request' },
    ]);
  });

  it('when the body is not an object, then the body itself is named', () => {
    const problem = problemOf(['user_id']);
    expect((problem.errors as { field: string }[])[0]?.field).to.equal('(body)');
  });
});
