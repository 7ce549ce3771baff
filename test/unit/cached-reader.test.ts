import { expect } from 'chai';
import { cachedReader } from '../../src/worker/lookups/cached-reader.js';
import type { ResourceReader } from '../../src/worker/lookups/resource-reader.js';

const limit = { timeoutMs: 1000, patient: false };

/** A reader that answers after `delayMs`, counting its calls; `fail` makes the next call throw. */
function countingReader(delayMs = 10) {
  const state = { calls: 0, fail: false, version: 1 };
  const reader: ResourceReader<{ name: string }> = async (id) => {
    state.calls++;
    const failing = state.fail;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (failing) throw new Error(`lookup of ${id} failed`);
    return { name: `${id} v${state.version}` };
  };
  return { state, reader };
}

describe('product lookup cache', () => {
  it('when many lookups of one product overlap, then one call serves them all', async () => {
    const { state, reader } = countingReader();
    const read = cachedReader(reader, { ttlMs: 1000, maxEntries: 10 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => read('box', limit, null)));
    expect(state.calls).to.equal(1);
    expect(new Set(answers.map((answer) => answer.name))).to.deep.equal(new Set(['box v1']));
  });

  it('when the answer is older than the TTL, then the product is asked again', async () => {
    const { state, reader } = countingReader(1);
    const read = cachedReader(reader, { ttlMs: 30, maxEntries: 10 });
    await read('box', limit, null);
    state.version = 2;
    expect((await read('box', limit, null)).name, 'within the TTL').to.equal('box v1');
    // The scenario: the answer grows older than its 30 ms TTL.
    const ttlPassed = new Promise((resolve) => setTimeout(resolve, 40));
    await ttlPassed;
    expect((await read('box', limit, null)).name, 'after the TTL').to.equal('box v2');
    expect(state.calls).to.equal(2);
  });

  it('when a call fails, then every waiter gets the failure and nothing is remembered', async () => {
    const { state, reader } = countingReader();
    const read = cachedReader(reader, { ttlMs: 1000, maxEntries: 10 });
    state.fail = true;
    const failures = await Promise.all(
      Array.from({ length: 5 }, () => read('box', limit, null).catch((error: unknown) => error)),
    );
    expect(failures.every((failure) => failure instanceof Error)).to.be.true;
    expect(state.calls).to.equal(1);
    state.fail = false;
    expect((await read('box', limit, null)).name).to.equal('box v1');
    expect(state.calls).to.equal(2);
  });
});
