import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, deriveSeed } from '../../src/data/random.js';

// Reference values from the authors' C code (xoshiro128starstar.c, splitmix64.c) compiled with gcc.
test('xoshiro128** matches the reference output for state {1, 2, 3, 4}', () => {
  const r = Rng.fromState(1, 2, 3, 4);
  assert.deepEqual([r.nextUint32(), r.nextUint32(), r.nextUint32(), r.nextUint32()], [11520, 0, 5927040, 70819200]);
});

test('splitmix64 seeding matches the reference C code (seeds 0 and 42)', () => {
  const r0 = new Rng(0);
  assert.deepEqual(
    Array.from({ length: 6 }, () => r0.nextUint32()),
    [3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774],
  );
  const r42 = new Rng(42);
  assert.deepEqual(
    Array.from({ length: 6 }, () => r42.nextUint32()),
    [1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222],
  );
});

test('deriveSeed: deterministic, label- and part-sensitive', () => {
  assert.equal(deriveSeed(1, 'split'), deriveSeed(1, 'split'));
  assert.notEqual(deriveSeed(1, 'split'), deriveSeed(1, 'forget'));
  assert.notEqual(deriveSeed(1, 'loader', 0), deriveSeed(1, 'loader', 1));
  assert.notEqual(deriveSeed(1, 'split'), deriveSeed(2, 'split'));
  // splitmix64's finaliser maps 0 to 0
  assert.equal(deriveSeed(0), 0n);
  assert.throws(() => deriveSeed(-1), /non-negative integer/);
  assert.throws(() => deriveSeed(1.5), /non-negative integer/);
});

test('uniformInt stays in range and is roughly uniform', () => {
  const r = new Rng(7);
  const counts = new Array<number>(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[r.uniformInt(6)]!++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, `count ${c} far from 10000`);
  assert.throws(() => r.uniformInt(0), /n must be an integer/);
});

test('nextFloat is in [0, 1) with mean ≈ 0.5; normal has mean ≈ 0 and variance ≈ 1', () => {
  const r = new Rng(3);
  let sum = 0;
  for (let i = 0; i < 20000; i++) {
    const u = r.nextFloat();
    assert.ok(u >= 0 && u < 1);
    sum += u;
  }
  assert.ok(Math.abs(sum / 20000 - 0.5) < 0.01);
  let m = 0;
  let m2 = 0;
  for (let i = 0; i < 20000; i++) {
    const z = r.normal();
    m += z;
    m2 += z * z;
  }
  assert.ok(Math.abs(m / 20000) < 0.03);
  assert.ok(Math.abs(m2 / 20000 - 1) < 0.05);
});

test('permutation is a permutation, seeded, and differs across seeds', () => {
  const p = new Rng(5).permutation(1000);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(new Rng(5).permutation(1000), p);
  assert.notDeepEqual(new Rng(6).permutation(1000), p);
});

test('Fisher–Yates is uniform over the 6 permutations of 3 elements', () => {
  const r = new Rng(11);
  const counts = new Map<string, number>();
  for (let i = 0; i < 60000; i++) {
    const key = r.permutation(3).join('');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.equal(counts.size, 6);
  for (const c of counts.values()) assert.ok(Math.abs(c - 10000) < 500, `count ${c}`);
});

test('sample: k distinct values, first k of the same partial shuffle', () => {
  const s = new Rng(9).sample(100, 10);
  assert.equal(new Set(s).size, 10);
  for (const v of s) assert.ok(v >= 0 && v < 100);
  assert.deepEqual(new Rng(9).sample(100, 10), s);
  assert.equal(new Rng(9).sample(100, 0).length, 0);
  assert.throws(() => new Rng(9).sample(10, 11), /k must be an integer in \[0, 10\]/);
});
