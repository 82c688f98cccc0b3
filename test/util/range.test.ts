import { test } from 'node:test';
import assert from 'node:assert/strict';
import { range } from '../../src/util/range.js';

test('range lists from..to−1 as an Int32Array, empty when to ≤ from', () => {
  assert.ok(range(0, 3) instanceof Int32Array);
  assert.deepEqual([...range(0, 5)], [0, 1, 2, 3, 4]);
  assert.deepEqual([...range(3, 6)], [3, 4, 5]);
  assert.deepEqual([...range(-2, 1)], [-2, -1, 0]);
  assert.equal(range(4, 4).length, 0);
  assert.equal(range(7, 2).length, 0);
});

test('range refuses bounds that are not integers', () => {
  assert.throws(() => range(0, 2.5), /bounds must be integers/);
  assert.throws(() => range(Number.NaN, 3), /bounds must be integers/);
});
