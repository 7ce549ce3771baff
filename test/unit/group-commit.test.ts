import { expect } from 'chai';
import { groupCommit } from '../../src/shared/batching/group-commit.js';

/** A bulk operation that records every call it gets and answers each item by `answer`. */
function recordingBulk(answer: (item: number) => string | Error) {
  const calls: number[][] = [];
  const bulk = (items: readonly number[]) => {
    calls.push([...items]);
    return Promise.resolve(items.map(answer));
  };
  return { calls, bulk };
}

describe('group commit', () => {
  it('when calls arrive in one turn of the event loop, then they go out as one bulk call and each gets its own outcome', async () => {
    const { calls, bulk } = recordingBulk((item) => `done ${String(item)}`);
    const write = groupCommit(bulk, { maxBatch: 100 });
    const outcomes = await Promise.all([1, 2, 3].map(write));
    expect(calls).to.deep.equal([[1, 2, 3]]);
    expect(outcomes).to.deep.equal(['done 1', 'done 2', 'done 3']);
  });

  it('when one item is refused, then only its caller gets the error', async () => {
    const { bulk } = recordingBulk((item) => (item === 2 ? new Error('taken') : 'ok'));
    const write = groupCommit(bulk, { maxBatch: 100 });
    const outcomes = await Promise.allSettled([1, 2, 3].map(write));
    expect(outcomes.map((outcome) => outcome.status)).to.deep.equal([
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((outcomes[1] as PromiseRejectedResult).reason).to.have.property('message', 'taken');
  });

  it('when the whole bulk call fails, then every caller in it gets that error', async () => {
    const write = groupCommit<number, string>(() => Promise.reject(new Error('store down')), {
      maxBatch: 100,
    });
    const outcomes = await Promise.allSettled([1, 2].map(write));
    expect(outcomes.map((outcome) => outcome.status)).to.deep.equal(['rejected', 'rejected']);
  });

  it('when more calls arrive than a batch holds, then they go out in batches of at most that size', async () => {
    const { calls, bulk } = recordingBulk(() => 'ok');
    const write = groupCommit(bulk, { maxBatch: 2 });
    await Promise.all([1, 2, 3, 4, 5].map(write));
    expect(calls).to.deep.equal([[1, 2], [3, 4], [5]]);
  });

  it('when calls come one after another, then each goes out on its own without waiting for company', async () => {
    const { calls, bulk } = recordingBulk(() => 'ok');
    const write = groupCommit(bulk, { maxBatch: 100 });
    const started = performance.now();
    await write(1);
    await write(2);
    expect(calls).to.deep.equal([[1], [2]]);
    expect(performance.now() - started).to.be.below(50);
  });
});
