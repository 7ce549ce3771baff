import { expect } from 'chai';
import { MongoNetworkError, MongoServerError } from 'mongodb';
import { guarded } from '../../src/shared/persistence/mongo-errors.js';
import { StoreUnavailableError } from '../../src/shared/persistence/order-repository.js';

function socketError(code: string): Error {
  return Object.assign(new Error('This socket has been ended by the other party'), { code });
}

async function failureOf(error: Error): Promise<unknown> {
  try {
    await guarded(() => Promise.reject(error));
  } catch (thrown) {
    return thrown;
  }
  throw new Error('guarded resolved although its operation failed');
}

describe('store outage classification', () => {
  it('when the driver reports a network error, then callers see the store as unavailable', async () => {
    expect(await failureOf(new MongoNetworkError('connection closed'))).to.be.instanceOf(
      StoreUnavailableError,
    );
  });

  it('when a pooled socket the server closed fails with a bare EPIPE or reset, then the store is unavailable too', async () => {
    for (const code of ['EPIPE', 'ECONNRESET']) {
      expect(await failureOf(socketError(code)), code).to.be.instanceOf(StoreUnavailableError);
    }
  });

  it('when the server answers with an error of its own, then it passes through unchanged', async () => {
    const refused = new MongoServerError({ message: 'bad query', code: 2 });
    expect(await failureOf(refused)).to.equal(refused);
    const bug = new TypeError('x is undefined');
    expect(await failureOf(bug)).to.equal(bug);
  });
});
