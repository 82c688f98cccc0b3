import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromBuffer, memory, tensor, tidy, zeros } from '../../src/torch/index.js';
import { TensorDataset } from '../../src/data/dataset.js';
import { syntheticDataset } from '../../src/data/synthetic.js';
import { baselineMemory } from '../baseline.js';

function small(): TensorDataset {
  const pixels = Uint8Array.from({ length: 5 * 1 * 2 * 2 }, (_, i) => i);
  return TensorDataset.fromArrays({ pixels, shape: [5, 1, 2, 2], labels: [0, 1, 2, 1, 0], numClasses: 3, classNames: ['a', 'b', 'c'], name: 'small' });
}

test('TensorDataset: size, shapes, class counts, subset copies in the given order and leaves the source unchanged', () => {
  const before = baselineMemory().numTensors;
  const ds = small();
  assert.equal(ds.size, 5);
  assert.deepEqual(ds.imageShape, [1, 2, 2]);
  assert.deepEqual([...ds.classCounts()], [2, 2, 1]);
  const sub = ds.subset([4, 1]);
  assert.equal(sub.size, 2);
  assert.deepEqual(sub.labels.toArray(), [0, 1]);
  assert.deepEqual(sub.images.toArray(), [[[[16, 17], [18, 19]]], [[[4, 5], [6, 7]]]]);
  assert.deepEqual(sub.classNames, ['a', 'b', 'c']);
  assert.equal(ds.size, 5);
  assert.deepEqual(ds.labels.toArray(), [0, 1, 2, 1, 0]);
  assert.throws(() => ds.subset([0, 5]), /index 5 at position 1 is out of range \[0, 5\)/);
  assert.throws(() => ds.subset([1.5]), /index 1.5/);
  sub.dispose();
  ds.dispose();
  ds.dispose(); // idempotent
  assert.equal(memory().numTensors, before);
});

test('TensorDataset created inside tidy survives it (the dataset owns its tensors)', () => {
  const before = baselineMemory().numTensors;
  const ds = tidy(() => new TensorDataset({ images: zeros([3, 1, 2, 2], { dtype: 'uint8' }), labels: tensor([0, 1, 0]), numClasses: 2, name: 't' }));
  assert.equal(memory().numTensors, before + 2);
  assert.deepEqual(ds.labels.toArray(), [0, 1, 0]);
  ds.dispose();
  assert.equal(memory().numTensors, before);
});

test('TensorDataset validation: dtypes, shapes, counts, label range (the caller keeps its tensors on error)', () => {
  tidy(() => {
    const labels = tensor([0, 1, 0]);
    assert.throws(() => new TensorDataset({ images: zeros([3, 1, 2, 2]), labels, numClasses: 2, name: 'f' }), /images must be a uint8 tensor/);
    const img = zeros([3, 1, 2, 2], { dtype: 'uint8' });
    assert.throws(() => new TensorDataset({ images: img, labels: tensor([0, 1]), numClasses: 2, name: 'f' }), /3 images but 2 labels/);
    assert.throws(() => new TensorDataset({ images: img, labels: tensor([0, 1, 2]), numClasses: 2, name: 'f' }), /label 2 at index 2 is out of range \[0, 2\)/);
    assert.throws(() => new TensorDataset({ images: img, labels: tensor([0, -1, 0]), numClasses: 2, name: 'f' }), /label -1 at index 1/);
    assert.throws(() => new TensorDataset({ images: img, labels: labels.int(), numClasses: 2, name: 'f' }), /labels must be an int64 tensor/);
    // checked as int64: 2^32 + 1 must not wrap to the valid label 1
    const wrapping = fromBuffer(BigInt64Array.from([0n, 4294967297n, 1n]), 'int64', [3]);
    assert.throws(() => new TensorDataset({ images: img, labels: wrapping, numClasses: 4, name: 'f' }), /label 4294967297 at index 1 is out of range \[0, 4\)/);
    assert.equal(img.isDisposed, false);
  });
  assert.throws(
    () => TensorDataset.fromArrays({ pixels: new Uint8Array(7), shape: [2, 1, 2, 2], labels: [0, 1], numClasses: 2, name: 'g' }),
    /7 pixel bytes do not fill \[2, 1, 2, 2\]/,
  );
  assert.throws(
    () => TensorDataset.fromArrays({ pixels: new Uint8Array(8), shape: [2, 1, 2, 2], labels: [0, 0.5], numClasses: 2, name: 'g' }),
    /label 0\.5 at index 1 is out of range \[0, 2\)/,
  );
});

test('syntheticDataset: balanced, deterministic per seed, shapes and channels', () => {
  const before = baselineMemory().numTensors;
  const a = syntheticDataset({ n: 60, classes: 6, channels: 3, size: 12, seed: 4 });
  const b = syntheticDataset({ n: 60, classes: 6, channels: 3, size: 12, seed: 4 });
  const c = syntheticDataset({ n: 60, classes: 6, channels: 3, size: 12, seed: 5 });
  assert.deepEqual(a.images.shape, [60, 3, 12, 12]);
  assert.deepEqual([...a.classCounts()], [10, 10, 10, 10, 10, 10]);
  assert.ok(a.images.equal(b.images));
  assert.ok(a.labels.equal(b.labels));
  assert.ok(!a.images.equal(c.images));
  for (const d of [a, b, c]) d.dispose();
  assert.equal(memory().numTensors, before);
  assert.throws(() => syntheticDataset({ classes: 1 }), /classes must be an integer ≥ 2/);
});

test('syntheticDataset is learnable: nearest class mean on pixels classifies held-out images ≥ 95%', () => {
  const ds = syntheticDataset({ n: 400, classes: 10, size: 16, seed: 1 });
  const px = ds.images.toTypedArray() as Uint8Array;
  const ys = ds.labelArray();
  const d = 16 * 16;
  const means = Array.from({ length: 10 }, () => new Float64Array(d));
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 200; i++) {
    counts[ys[i]!]!++;
    for (let j = 0; j < d; j++) means[ys[i]!]![j]! += px[i * d + j]!;
  }
  means.forEach((m, c) => m.forEach((_, j) => (m[j]! /= counts[c]!)));
  let correct = 0;
  for (let i = 200; i < 400; i++) {
    let best = -1;
    let bestDist = Infinity;
    for (let c = 0; c < 10; c++) {
      let dist = 0;
      for (let j = 0; j < d; j++) dist += (px[i * d + j]! - means[c]![j]!) ** 2;
      if (dist < bestDist) [best, bestDist] = [c, dist];
    }
    if (best === ys[i]) correct++;
  }
  assert.ok(correct / 200 >= 0.95, `accuracy ${correct / 200}`);
  // and not trivially separable by one pixel's noise-free value: images of one class differ
  const first = ys.indexOf(ys[0]!, 1);
  const img = (i: number) => fromBuffer(px.subarray(i * d, (i + 1) * d), 'uint8', [d]);
  tidy(() => assert.ok(!img(0).equal(img(first))));
  ds.dispose();
});
