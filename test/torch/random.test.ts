// Determinism: manualSeed(s) makes every random op reproducible; different seeds give different draws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropout, manualSeed, ones, rand, randint, randn, randnLike, randperm, tidy, zeros, type Tensor } from '../../src/index.js';

/** One of each random op, in a fixed order; returns the values as plain arrays. */
function draw(seed: number): number[][] {
  return tidy(() => {
    manualSeed(seed);
    const parts: Tensor[] = [
      randn([3, 4]),
      rand([5], { dtype: 'float64' }),
      randint(0, 1000, [6]),
      randperm(10),
      dropout(ones([20]), 0.5),
      zeros([4]).normal_(0, 2),
      zeros([4]).uniform_(-1, 1),
      randnLike(zeros([2, 2], { dtype: 'float64' })),
    ];
    return parts.map((t) => Array.from(t.toTypedArray() as ArrayLike<number | bigint>, Number));
  });
}

test('the same seed twice gives identical randn, rand, randint, randperm, dropout, normal_, uniform_, randnLike', () => {
  const a = draw(1234);
  const b = draw(1234);
  assert.deepEqual(a, b);
  assert.ok(a[4]!.some((v) => v === 0) && a[4]!.some((v) => v === 2), 'dropout zeroed some entries and scaled the rest');
});

test('different seeds give different draws for every op', () => {
  const a = draw(1);
  const b = draw(2);
  for (let i = 0; i < a.length; i++) assert.notDeepEqual(a[i], b[i], `op ${i} ignores the seed`);
});

test('reseeding mid-stream restarts the sequence; the stream advances between draws', () => {
  tidy(() => {
    manualSeed(7);
    const first = randn([5]).toArray();
    const second = randn([5]).toArray();
    assert.notDeepEqual(first, second);
    manualSeed(7);
    assert.deepEqual(randn([5]).toArray(), first);
    assert.deepEqual(randn([5]).toArray(), second);
  });
});

test('manualSeed validates its argument', () => {
  assert.throws(() => manualSeed(-1), /non-negative integer/);
  assert.throws(() => manualSeed(1.5), /non-negative integer/);
  manualSeed(2 ** 40); // large seeds are fine
});
