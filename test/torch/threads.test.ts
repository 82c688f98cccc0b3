// withNumThreads limits libtorch's intra-op threads for a block and restores the count, even on error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getNumThreads, setNumThreads, withNumThreads } from '../../src/index.js';

test('withNumThreads sets and restores the thread count', () => {
  const before = getNumThreads();
  setNumThreads(2);
  assert.equal(withNumThreads(1, () => getNumThreads()), 1);
  assert.equal(getNumThreads(), 2);
  assert.throws(() => withNumThreads(1, () => {
    throw new Error('boom');
  }), /boom/);
  assert.equal(getNumThreads(), 2);
  setNumThreads(before);
});
