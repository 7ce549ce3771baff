import { expect } from 'chai';
import fc from 'fast-check';
import {
  answeredLately,
  answeredLatelyHorizonMs,
  countsAgainstBreaker,
  countsAgainstService,
  decideAfterLookupFailures,
  describeFailure,
  failureCode,
  isRefusal,
  isRetryable,
  withRecentAnswers,
  type LookupFailure,
} from '../../src/shared/domain/lookup-failure.js';

const productDown: LookupFailure = {
  dependency: 'product',
  resource: 'veggie-box',
  cause: 'http-error',
  status: 500,
};
const userMissing: LookupFailure = { dependency: 'user', resource: 'nobody', cause: 'not-found' };
const slowFirstTry: LookupFailure = {
  dependency: 'product',
  resource: 'family-box',
  cause: 'timeout',
  timeoutMs: 2000,
  patient: false,
};

const anyFailure: fc.Arbitrary<LookupFailure> = fc
  .record({
    dependency: fc.constantFrom('user' as const, 'product' as const),
    resource: fc.string({ minLength: 1, maxLength: 10 }),
    pick: fc.nat(8),
    status: fc.integer({ min: 500, max: 599 }),
    patient: fc.boolean(),
    lately: fc.boolean(),
  })
  .map(({ dependency, resource, pick, status, patient, lately }): LookupFailure => {
    const base = { dependency, resource };
    switch (pick) {
      case 0:
        return { ...base, cause: 'not-found' };
      case 1:
        return { ...base, cause: 'invalid-response', detail: 'x' };
      case 2:
        return withRecentAnswers({ ...base, cause: 'http-error', status }, lately);
      case 3:
        return { ...base, cause: 'timeout', timeoutMs: 1, patient };
      case 4:
        return { ...base, cause: 'unreachable', detail: 'ECONNREFUSED' };
      case 5:
        return { ...base, cause: 'service-down', lastFailure: 'ECONNREFUSED' };
      case 6:
        return { ...base, cause: 'saturated', limit: 500 };
      default:
        return withRecentAnswers(
          { ...base, cause: 'circuit-open', lastFailure: 'HTTP 500' },
          lately,
        );
    }
  });

describe('lookup failure rules', () => {
  it('when a user or product does not exist, then the order fails at once without retries', () => {
    expect(isRetryable(userMissing)).to.be.false;
    const decision = decideAfterLookupFailures([userMissing], { isLast: false });
    expect(decision).to.deep.equal({
      action: 'fail',
      failure: { code: 'USER_NOT_FOUND', message: 'the user service has no user nobody' },
    });
  });

  it('when the product service answers with an unusable body, then the order fails at once', () => {
    const garbled: LookupFailure = {
      dependency: 'product',
      resource: 'p',
      cause: 'invalid-response',
      detail: 'price: expected number',
    };
    const decision = decideAfterLookupFailures([garbled], { isLast: false });
    expect(decision.action).to.equal('fail');
    expect(decision.action === 'fail' && decision.failure.code).to.equal(
      'PRODUCT_SERVICE_INVALID_RESPONSE',
    );
  });

  it('when a service answers 5xx and retries remain, then the order is retried', () => {
    const decision = decideAfterLookupFailures([productDown], { isLast: false });
    expect(decision).to.deep.equal({
      action: 'retry',
      reason: 'the product service answered HTTP 500 for product veggie-box',
    });
  });

  it('when the last attempt fails on a 5xx, then the order fails with a code naming the service and the cause', () => {
    const decision = decideAfterLookupFailures([productDown], { isLast: true });
    expect(decision).to.deep.equal({
      action: 'fail',
      failure: {
        code: 'PRODUCT_SERVICE_ERROR',
        message: 'the product service answered HTTP 500 for product veggie-box (retries exhausted)',
      },
    });
  });

  it('when both lookups fail and one is final, then the final one gives the code and both the message', () => {
    const decision = decideAfterLookupFailures([productDown, userMissing], { isLast: false });
    expect(decision.action === 'fail' && decision.failure).to.deep.equal({
      code: 'USER_NOT_FOUND',
      message:
        'the product service answered HTTP 500 for product veggie-box; the user service has no user nobody',
    });
  });

  it('when failures are classified, then each cause has its own code', () => {
    const codes = [
      failureCode({
        dependency: 'user',
        resource: 'u',
        cause: 'timeout',
        timeoutMs: 1,
        patient: true,
      }),
      failureCode({
        dependency: 'user',
        resource: 'u',
        cause: 'unreachable',
        detail: 'ECONNREFUSED',
      }),
      failureCode({
        dependency: 'product',
        resource: 'p',
        cause: 'circuit-open',
        lastFailure: 'x',
      }),
      failureCode({ dependency: 'product', resource: 'p', cause: 'not-found' }),
    ];
    expect(codes).to.deep.equal([
      'USER_SERVICE_TIMEOUT',
      'USER_SERVICE_UNREACHABLE',
      'PRODUCT_SERVICE_CIRCUIT_OPEN',
      'PRODUCT_NOT_FOUND',
    ]);
  });

  it('when a short first attempt times out, then the breaker does not count it (slow is not broken)', () => {
    expect(countsAgainstBreaker(slowFirstTry)).to.be.false;
    expect(countsAgainstBreaker({ ...slowFirstTry, patient: true })).to.be.true;
    expect(countsAgainstBreaker(productDown)).to.be.true;
    expect(countsAgainstBreaker(userMissing)).to.be.false;
    expect(describeFailure(slowFirstTry)).to.equal(
      'the product service did not answer for product family-box within 2000 ms',
    );
  });

  it('when a service cannot be reached, then its own breaker counts it and no resource breaker does', () => {
    const refused: LookupFailure = {
      dependency: 'user',
      resource: 'u1',
      cause: 'unreachable',
      detail: 'ECONNREFUSED',
    };
    expect(countsAgainstService(refused)).to.be.true;
    expect(countsAgainstBreaker(refused)).to.be.false;
    expect(countsAgainstService(productDown), 'one resource answering 500').to.be.false;
    expect(countsAgainstService(slowFirstTry), 'slow is not down').to.be.false;
    expect(countsAgainstService({ ...slowFirstTry, patient: true })).to.be.true;
  });

  it('when a service is down for everyone, then the order waits for it, even on its last attempt', () => {
    const down: LookupFailure = {
      dependency: 'user',
      resource: 'u1',
      cause: 'service-down',
      lastFailure: 'ECONNREFUSED',
    };
    expect(decideAfterLookupFailures([down], { isLast: true }).action).to.equal('wait');
    expect(decideAfterLookupFailures([down, userMissing], { isLast: false }).action).to.equal(
      'fail',
    );
  });

  it('when a service has no free place in its bulkhead, then the order waits for capacity, even on its last attempt, and a service that is down waits longer', () => {
    const saturated: LookupFailure = {
      dependency: 'user',
      resource: 'u1',
      cause: 'saturated',
      limit: 500,
    };
    expect(decideAfterLookupFailures([saturated], { isLast: true })).to.deep.equal({
      action: 'wait',
      for: 'capacity',
      reason: '500 calls to the user service are already in flight; user u1 waits for a free one',
    });
    const down: LookupFailure = {
      dependency: 'product',
      resource: 'p',
      cause: 'service-down',
      lastFailure: 'ECONNREFUSED',
    };
    expect(decideAfterLookupFailures([saturated, down], { isLast: false })).to.include({
      action: 'wait',
      for: 'service',
    });
    expect(countsAgainstBreaker(saturated)).to.be.false;
    expect(countsAgainstService(saturated)).to.be.false;
    expect(failureCode(saturated)).to.equal('USER_SERVICE_SATURATED');
  });

  const userFlaky: LookupFailure = {
    dependency: 'user',
    resource: 'e6f24d7d1c7e',
    cause: 'http-error',
    status: 500,
  };
  const userRefused: LookupFailure = {
    dependency: 'user',
    resource: 'e6f24d7d1c7e',
    cause: 'circuit-open',
    lastFailure: 'the user service answered HTTP 500 for user e6f24d7d1c7e',
  };

  it('when a resource answered successfully within the horizon, then it answered lately, and not before it ever answered or once the horizon passed', () => {
    const horizonMs = answeredLatelyHorizonMs({ resetTimeoutMs: 10_000, rollingWindowMs: 10_000 });
    expect(horizonMs).to.equal(60_000);
    expect(answeredLatelyHorizonMs({ resetTimeoutMs: 300, rollingWindowMs: 10_000 })).to.equal(
      60_000,
    );
    expect(answeredLately(1_000, 1_000 + horizonMs, horizonMs)).to.be.true;
    expect(answeredLately(1_000, 1_001 + horizonMs, horizonMs)).to.be.false;
    expect(answeredLately(undefined, 1_000, horizonMs)).to.be.false;
  });

  it('when a resource that answered lately answers 500 or its breaker refuses, then the failure is intermittent, and a timeout, a 404 or a full bulkhead is left as it is', () => {
    expect(withRecentAnswers(userFlaky, true)).to.deep.equal({ ...userFlaky, intermittent: true });
    expect(withRecentAnswers(userRefused, true)).to.deep.equal({
      ...userRefused,
      intermittent: true,
    });
    expect(withRecentAnswers(userFlaky, false)).to.equal(userFlaky);
    expect(withRecentAnswers(slowFirstTry, true)).to.equal(slowFirstTry);
    expect(withRecentAnswers(userMissing, true)).to.equal(userMissing);
    expect(describeFailure({ ...userFlaky, intermittent: true })).to.equal(
      'the user service answered HTTP 500 for user e6f24d7d1c7e, though it answered other calls lately',
    );
  });

  it('when a resource that answers other calls fails this one, even by its breaker on the last attempt, then the order waits for it without spending an attempt', () => {
    for (const failure of [userFlaky, userRefused]) {
      const intermittent = withRecentAnswers(failure, true);
      for (const isLast of [false, true]) {
        expect(decideAfterLookupFailures([intermittent], { isLast })).to.include({
          action: 'wait',
          for: 'resource',
        });
      }
    }
  });

  it('when a resource that never answered lately (veggie-box) is refused by its breaker on the last attempt, then the refusal counts as its failure and the order FAILS', () => {
    const refused: LookupFailure = withRecentAnswers(
      { ...productDown, cause: 'circuit-open', lastFailure: describeFailure(productDown) },
      false,
    );
    expect(decideAfterLookupFailures([refused], { isLast: false }).action).to.equal('retry');
    expect(decideAfterLookupFailures([refused], { isLast: true })).to.deep.include({
      action: 'fail',
    });
    const decision = decideAfterLookupFailures([refused], { isLast: true });
    expect(decision.action === 'fail' && decision.failure.code).to.equal(
      'PRODUCT_SERVICE_CIRCUIT_OPEN',
    );
  });

  it('when an intermittent failure comes with one that is evidence, then the evidence decides: the attempt is spent, and the last one FAILS', () => {
    const flaky = withRecentAnswers(userFlaky, true);
    expect(decideAfterLookupFailures([flaky, productDown], { isLast: false }).action).to.equal(
      'retry',
    );
    expect(decideAfterLookupFailures([productDown, flaky], { isLast: true }).action).to.equal(
      'fail',
    );
    expect(decideAfterLookupFailures([flaky, userMissing], { isLast: false }).action).to.equal(
      'fail',
    );
  });

  it('when a breaker or a bulkhead refused a call, then it is a refusal, and a call that was made is not', () => {
    expect(isRefusal(userRefused)).to.be.true;
    expect(isRefusal({ ...userRefused, cause: 'service-down' })).to.be.true;
    expect(isRefusal({ dependency: 'user', resource: 'u', cause: 'saturated', limit: 1 })).to.be
      .true;
    expect(isRefusal(userFlaky)).to.be.false;
    expect(isRefusal(slowFirstTry)).to.be.false;
    expect(isRefusal(userMissing)).to.be.false;
  });

  it('when any failures come in, then the decision is fail for a final one, wait while a service is down or saturated or every failure is intermittent, else retry while attempts remain', () => {
    fc.assert(
      fc.property(
        fc.array(anyFailure, { minLength: 1, maxLength: 2 }),
        fc.boolean(),
        (failures, isLast) => {
          const decision = decideAfterLookupFailures(
            failures as [LookupFailure, ...LookupFailure[]],
            { isLast },
          );
          const expected = !failures.every(isRetryable)
            ? 'fail'
            : failures.some(
                  (failure) => failure.cause === 'service-down' || failure.cause === 'saturated',
                ) ||
                failures.every(
                  (failure) => 'intermittent' in failure && failure.intermittent === true,
                )
              ? 'wait'
              : isLast
                ? 'fail'
                : 'retry';
          expect(decision.action).to.equal(expected);
        },
      ),
    );
  });
});
