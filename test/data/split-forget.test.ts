import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { indicesByClass, trainValSplit, validationCount } from '../../src/data/split.js';
import { formatForgetSpec, indicesWithoutClasses, parseForgetSpec, selectForgetSet } from '../../src/data/forget.js';
import { Rng, deriveSeed } from '../../src/data/random.js';
import { protocolSplit } from '../../src/data/protocol.js';
import { tempDir } from './fixtures.js';

/** 10 classes × `per` samples, interleaved (label i mod 10), like a shuffled dataset. */
function labels(per: number, classes = 10): Int32Array {
  return Int32Array.from({ length: per * classes }, (_, i) => i % classes);
}

function isSortedUnique(a: Int32Array): boolean {
  for (let i = 1; i < a.length; i++) if (a[i]! <= a[i - 1]!) return false;
  return true;
}

test('trainValSplit: 10% of each class, sorted, disjoint, covering (Fashion-MNIST sizes: 54,000 / 6,000)', () => {
  const ys = labels(6000);
  const { train, val } = trainValSplit(ys, { seed: 1 });
  assert.equal(train.length, 54000);
  assert.equal(val.length, 6000);
  assert.ok(isSortedUnique(train) && isSortedUnique(val));
  const perClass = new Array<number>(10).fill(0);
  for (const i of val) perClass[ys[i]!]!++;
  assert.deepEqual(perClass, new Array(10).fill(600));
  const all = new Set([...train, ...val]);
  assert.equal(all.size, 60000);
});

test('trainValSplit: the documented rule, recomputed by hand', () => {
  const ys = [0, 1, 0, 1, 0, 1, 0, 2, 0, 0, 1, 2];
  const { val } = trainValSplit(ys, { fraction: 0.25, seed: 7 });
  // class 0: 6 samples → round(1.5) = 2; class 1: 4 → 1; class 2: 2 → round(0.5) = 1
  const rng = new Rng(deriveSeed(7, 'split'));
  const expected: number[] = [];
  for (const [c, k] of [[0, 2], [1, 1], [2, 1]] as const) {
    const members = Int32Array.from(ys.flatMap((y, i) => (y === c ? [i] : [])));
    rng.shuffleInPlace(members);
    expected.push(...members.subarray(0, k));
  }
  assert.deepEqual([...val], expected.sort((a, b) => a - b));
});

test('trainValSplit: deterministic per seed, different across seeds; uneven classes; errors', () => {
  const ys = Int32Array.from({ length: 1000 }, (_, i) => (i < 700 ? 0 : i < 950 ? 1 : 2));
  const a = trainValSplit(ys, { seed: 3 });
  assert.deepEqual(trainValSplit(ys, { seed: 3 }), a);
  assert.notDeepEqual(trainValSplit(ys, { seed: 4 }).val, a.val);
  const counts = [0, 0, 0];
  for (const i of a.val) counts[ys[i]!]!++;
  assert.deepEqual(counts, [70, 25, 5]);
  assert.equal(validationCount(ys, 0.1), 100);
  assert.equal(validationCount(ys, 0.1), a.val.length);
  assert.equal(trainValSplit(ys, { seed: 3, fraction: 0 }).val.length, 0);
  assert.throws(() => trainValSplit(ys, { seed: 3, fraction: 1 }), /fraction must be in \[0, 1\)/);
  // 0.99 of a class of 2, 2 and 1 rounds to the whole class: nothing would be left to train on
  assert.throws(() => trainValSplit([0, 0, 1, 1, 2], { seed: 3, fraction: 0.99 }), /fraction of 0\.99 holds out all 5 samples/);
  // round(1.5) + round(1) + round(0.5) = 2 + 1 + 1 held out: 2 left to train on
  assert.equal(trainValSplit([0, 0, 0, 1, 1, 2], { seed: 3, fraction: 0.5 }).train.length, 2);
  assert.throws(() => trainValSplit([0, -1], { seed: 3 }), /label -1 at index 1/);
  assert.throws(() => trainValSplit(ys, { seed: -2 }), /seed must be a non-negative integer/);
});

test('parseForgetSpec: every form, and round trip through formatForgetSpec', () => {
  assert.deepEqual(parseForgetSpec('random:0.1'), { kind: 'random', fraction: 0.1 });
  assert.deepEqual(parseForgetSpec('random:10%'), { kind: 'random', fraction: 0.1 });
  assert.deepEqual(parseForgetSpec('random:5400'), { kind: 'random', count: 5400 });
  assert.deepEqual(parseForgetSpec('class:3'), { kind: 'class', classes: [3] });
  assert.deepEqual(parseForgetSpec('class:3, 7'), { kind: 'class', classes: [3, 7] });
  assert.deepEqual(parseForgetSpec('indices:forget.json'), { kind: 'indices', file: 'forget.json' });
  for (const s of ['random:0.1', 'random:5400', 'class:3,7', 'indices:a b.txt']) assert.equal(formatForgetSpec(parseForgetSpec(s)), s);
});

test('parseForgetSpec errors', () => {
  assert.throws(() => parseForgetSpec('random'), /missing ':'/);
  assert.throws(() => parseForgetSpec('random:'), /nothing after 'random:'/);
  assert.throws(() => parseForgetSpec('random:0'), /count of 0 samples/);
  // a number ≥ 1 written with a point is neither a count nor a fraction: the message says both
  assert.throws(() => parseForgetSpec('random:1.0'), /'1\.0' is not a count \(write a whole number, like 5400\) nor a fraction in \(0, 1\)/);
  assert.throws(() => parseForgetSpec('random:5.'), /'5\.' is not a count/);
  assert.throws(() => parseForgetSpec('random:5400.0'), /'5400\.0' is not a count/);
  assert.throws(() => parseForgetSpec('random:0.0'), /fraction must be in \(0, 1\)/);
  assert.throws(() => parseForgetSpec('random:-0.1'), /neither a fraction/);
  assert.throws(() => parseForgetSpec('random:abc'), /neither a fraction/);
  assert.throws(() => parseForgetSpec('random:100%'), /fraction must be in \(0, 1\)/);
  assert.throws(() => parseForgetSpec('class:x'), /'x' is not a class number/);
  assert.throws(() => parseForgetSpec('class:3,3'), /class 3 is listed twice/);
  assert.throws(() => parseForgetSpec('class:-1'), /not a class number/);
  assert.throws(() => parseForgetSpec('subset:3'), /unknown kind 'subset'/);
});

test('selectForgetSet random: exact sizes, sorted, disjoint, seeded, independent of the split stream', () => {
  const ys = labels(540); // 5,400 "training" samples
  const f = selectForgetSet('random:0.1', ys, { seed: 1 });
  assert.equal(f.forget.length, 540);
  assert.equal(f.retain.length, 4860);
  assert.ok(isSortedUnique(f.forget) && isSortedUnique(f.retain));
  assert.equal(new Set([...f.forget, ...f.retain]).size, 5400);
  assert.equal(f.classes, undefined);
  assert.match(f.description, /random 10% = 540 of 5400 training samples \(seed 1\)/);
  assert.deepEqual(selectForgetSet('random:0.1', ys, { seed: 1 }), f);
  assert.notDeepEqual(selectForgetSet('random:0.1', ys, { seed: 2 }).forget, f.forget);
  // the documented rule
  const expected = new Rng(deriveSeed(1, 'forget')).sample(5400, 540).sort();
  assert.deepEqual(f.forget, expected);
  const byCount = selectForgetSet('random:540', ys, { seed: 1 });
  assert.deepEqual(byCount.forget, f.forget, 'a count and the equivalent fraction select the same samples');
});

test('selectForgetSet class: whole classes, class list returned, description names them', () => {
  const ys = labels(50);
  const f = selectForgetSet('class:7,3', ys, { seed: 1, numClasses: 10, classNames: ['a', 'b', 'c', 'dress', 'e', 'f', 'g', 'sneaker', 'i', 'j'] });
  assert.equal(f.forget.length, 100);
  assert.ok([...f.forget].every((i) => ys[i] === 3 || ys[i] === 7));
  assert.ok([...f.retain].every((i) => ys[i] !== 3 && ys[i] !== 7));
  assert.deepEqual(f.classes, [3, 7]);
  assert.equal(f.description, 'classes 3 (dress), 7 (sneaker): 100 of 500 training samples');
  const testLabels = [3, 1, 7, 0, 3];
  assert.deepEqual([...indicesWithoutClasses(testLabels, f.classes!)], [1, 3]);
});

test('selectForgetSet indices: JSON and whitespace files, relative to baseDir', () => {
  const { dir, cleanup } = tempDir();
  try {
    const ys = labels(10);
    writeFileSync(join(dir, 'f.json'), '[5, 1, 42]');
    writeFileSync(join(dir, 'f.txt'), '5\n1   42\n\n');
    for (const file of ['f.json', 'f.txt']) {
      const f = selectForgetSet(`indices:${file}`, ys, { seed: 0, baseDir: dir });
      assert.deepEqual([...f.forget], [1, 5, 42]);
      assert.equal(f.retain.length, 97);
      assert.match(f.description, /3 of 100 training samples listed in/);
    }
  } finally {
    cleanup();
  }
});

test('selectForgetSet errors: empty, whole set, out of range, duplicates, unreadable, bad entries', () => {
  const { dir, cleanup } = tempDir();
  try {
    const ys = labels(10);
    const o = { seed: 1, baseDir: dir };
    assert.throws(() => selectForgetSet('random:0.001', ys, o), /selects 0 of 100 .* empty/);
    assert.throws(() => selectForgetSet('random:100', ys, o), /100 samples is not fewer than the 100/);
    assert.throws(() => selectForgetSet('random:250', ys, o), /not fewer than the 100/);
    assert.throws(() => selectForgetSet('random:0.999', ys, o), /not fewer than/);
    assert.throws(() => selectForgetSet({ kind: 'random', fraction: 1.5 }, ys, o), /fraction must be in \(0, 1\)/);
    assert.throws(() => selectForgetSet('class:10', ys, o), /class 10 is out of range \[0, 10\)/);
    assert.throws(() => selectForgetSet('class:11', ys, { ...o, numClasses: 12 }), /class 11 has no training samples/);
    assert.throws(() => selectForgetSet('class:0,1,2,3,4,5,6,7,8,9', ys, o), /selects all 100 training samples/);
    assert.throws(() => selectForgetSet('class:0', [0, 0, 0], o), /selects all 3 training samples/);
    assert.throws(() => selectForgetSet('random:0.1', ys, { ...o, numClasses: 5 }), /label 9 is out of range for 5 classes/);
    assert.throws(() => selectForgetSet('indices:missing.json', ys, o), /cannot read the index file: .*missing\.json/);
    writeFileSync(join(dir, 'dup.txt'), '1 2 3 2');
    assert.throws(() => selectForgetSet('indices:dup.txt', ys, o), /index 2 appears more than once .* \(again at entry 3\)/);
    writeFileSync(join(dir, 'oob.json'), '[1, 100]');
    assert.throws(() => selectForgetSet('indices:oob.json', ys, o), /index 100 \(entry 1 of .*oob\.json\) is out of range \[0, 100\)/);
    writeFileSync(join(dir, 'neg.txt'), '1 -3');
    assert.throws(() => selectForgetSet('indices:neg.txt', ys, o), /entry 1 .* \('-3'\) is not a non-negative integer/);
    writeFileSync(join(dir, 'frac.json'), '[1, 2.5]');
    assert.throws(() => selectForgetSet('indices:frac.json', ys, o), /entry 1 .* \('2.5'\)/);
    writeFileSync(join(dir, 'bad.json'), '[1, 2');
    assert.throws(() => selectForgetSet('indices:bad.json', ys, o), /not valid JSON/);
    writeFileSync(join(dir, 'empty.txt'), '\n');
    assert.throws(() => selectForgetSet('indices:empty.txt', ys, o), /lists no indices/);
    writeFileSync(join(dir, 'all.txt'), Array.from({ length: 100 }, (_, i) => i).join(' '));
    assert.throws(() => selectForgetSet('indices:all.txt', ys, o), /lists all 100 training samples/);
    assert.throws(() => selectForgetSet('random:0.1', [], o), /the training set is empty/);
  } finally {
    cleanup();
  }
});

test('protocolSplit: the Fashion-MNIST protocol sizes, indices into the full dataset, one seed for both', () => {
  const ys = labels(6000);
  const p = protocolSplit(ys, { seed: 1, forget: 'random:0.1' });
  assert.equal(p.train.length, 54000);
  assert.equal(p.val.length, 6000);
  assert.equal(p.forget.length, 5400);
  assert.equal(p.retain.length, 48600);
  const trainSet = new Set(p.train);
  assert.ok([...p.forget, ...p.retain].every((i) => trainSet.has(i)), 'D_f and D_r lie inside the training part');
  assert.equal(new Set([...p.forget, ...p.retain]).size, 54000);
  assert.ok(isSortedUnique(p.forget) && isSortedUnique(p.retain));
  // the same as composing the two documented steps by hand
  const split = trainValSplit(ys, { seed: 1 });
  const sel = selectForgetSet('random:0.1', split.train.map((i) => ys[i]!), { seed: 1 });
  assert.deepEqual(p.forget, sel.forget.map((j) => split.train[j]!));
  assert.equal(p.description, 'val 10% per class (6000); forget: random 10% = 5400 of 54000 training samples (seed 1)');
  const c = protocolSplit(ys, { seed: 1, forget: 'class:4' });
  assert.equal(c.forget.length, 5400);
  assert.ok([...c.forget].every((i) => ys[i] === 4));
  assert.deepEqual(c.classes, [4]);
});

test('labels are checked before the narrowing to int32: 2^32 is not class 0', () => {
  assert.throws(() => selectForgetSet('class:0', [1, 2 ** 32, 0], { seed: 1 }), /label 4294967296 at index 1 is not a non-negative 32-bit integer/);
  assert.throws(() => indicesByClass(Int32Array.from([0, -1])), /indicesByClass: label -1 at index 1 is negative/);
});
