import { expect } from 'chai';
import fc from 'fast-check';
import { orderRequestFingerprint as requestFingerprint } from '../../src/api/idempotency/request-identity.js';
import { parseIdempotencyKey } from '../../src/api/orders/idempotency-key.js';
import { ProblemError } from '../../src/api/http/problem.js';

describe('Idempotency-Key rules', () => {
  it('when no key is sent, then there is none; a visible-ASCII key is taken as is', () => {
    expect(parseIdempotencyKey(undefined)).to.equal(undefined);
    expect(parseIdempotencyKey('8e1f2c1a-key_1')).to.equal('8e1f2c1a-key_1');
  });

  it('when a key is empty, too long, has spaces or non-ASCII, then it is a 400 problem', () => {
    for (const key of ['', 'k'.repeat(256), 'a b', 'clé', ['a', 'b']]) {
      expect(() => parseIdempotencyKey(key), JSON.stringify(key)).to.throw(ProblemError);
    }
  });

  it('when two requests have the same fields, then their fingerprints match, and differ otherwise', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (user, product, other) => {
        const same = requestFingerprint({ user_id: user, product_code: product });
        expect(requestFingerprint({ product_code: product, user_id: user })).to.equal(same);
        if (other !== product)
          expect(requestFingerprint({ user_id: user, product_code: other })).not.to.equal(same);
      }),
    );
  });
});
