// withNumThreads limits libtorch's intra-op threads for a block and restores the count, even on error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getNumThreads, setNumThreads, withNumThreads } from '../../src/index.js';
import { threadsFromEnv } from '../../src/torch/runtime.js';

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

test('LETHE_NUM_THREADS: a count up to the cores is used; more, or a bad value, gives every core and says so', () => {
  const warnings: string[] = [];
  const warn = (m: string): number => warnings.push(m);
  assert.equal(threadsFromEnv(undefined, 4, warn), 4);
  assert.equal(threadsFromEnv(' ', 4, warn), 4);
  assert.equal(threadsFromEnv('1', 4, warn), 1);
  assert.equal(threadsFromEnv('4', 4, warn), 4);
  assert.deepEqual(warnings, []);
  assert.equal(threadsFromEnv('100000', 4, warn), 4, 'oversubscription is capped');
  assert.match(warnings.pop()!, /LETHE_NUM_THREADS=100000 is more threads than this machine's 4 cores; using 4/);
  for (const bad of ['abc', '0', '-2', '1.5']) {
    assert.equal(threadsFromEnv(bad, 4, warn), 4, bad);
    assert.match(warnings.pop()!, /LETHE_NUM_THREADS must be a positive integer/);
  }
});
