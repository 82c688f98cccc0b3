import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arange, fromBuffer, manualSeed, memory, tidy } from '../../src/torch/index.js';
import { TensorDataset } from '../../src/data/dataset.js';
import { DataLoader } from '../../src/data/loader.js';
import { randomCrop, randomHorizontalFlip, augmentation } from '../../src/data/augment.js';
import { Rng, deriveSeed } from '../../src/data/random.js';
import { syntheticDataset } from '../../src/data/synthetic.js';
import { baselineMemory } from '../baseline.js';

/** n images of 1×2×2 whose pixels all equal the sample index (mod 256); label = index mod 3. */
function indexed(n: number): TensorDataset {
  const pixels = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) pixels.fill(i % 256, i * 4, i * 4 + 4);
  return TensorDataset.fromArrays({ pixels, shape: [n, 1, 2, 2], labels: Array.from({ length: n }, (_, i) => i % 3), numClasses: 3, name: 'indexed' });
}

test('batch counts with and without dropLast; batch contents match their indices', () => {
  const ds = indexed(10);
  const keepLast = new DataLoader(ds, { batchSize: 4 });
  const drop = new DataLoader(ds, { batchSize: 4, dropLast: true });
  assert.equal(keepLast.length, 3);
  assert.equal(drop.length, 2);
  const sizes: number[] = [];
  for (const b of keepLast) {
    sizes.push(b.indices.length);
    assert.deepEqual(b.x.shape, [b.indices.length, 1, 2, 2]);
    assert.equal(b.x.dtype, 'float32');
    assert.equal(b.y.dtype, 'int64');
    assert.deepEqual(b.y.toArray(), [...b.indices].map((i) => i % 3));
    const x = b.x.toTypedArray() as Float32Array;
    [...b.indices].forEach((i, k) => assert.equal(x[k * 4 + 3], Math.fround(i / 255)));
    b.dispose();
  }
  assert.deepEqual(sizes, [4, 4, 2]);
  let n = 0;
  for (const b of drop) {
    assert.equal(b.indices.length, 4);
    n++;
    b.dispose();
  }
  assert.equal(n, 2);
  assert.equal(new DataLoader(ds, { batchSize: 20, dropLast: true }).length, 0);
  assert.throws(() => new DataLoader(ds, { batchSize: 0 }), /batchSize must be a positive integer/);
  ds.dispose();
});

test('x is exactly uint8 → float32 → / 255 (ToTensor), via gather or slice', () => {
  const ds = syntheticDataset({ n: 20, size: 8, seed: 2 });
  for (const shuffle of [false, true]) {
    const loader = new DataLoader(ds, { batchSize: 7, shuffle, seed: 1 });
    for (const b of loader) {
      tidy(() => {
        const ref = ds.images.indexSelect(0, fromBuffer(b.indices, 'int32', [b.indices.length])).to('float32').div(255);
        assert.ok(b.x.equal(ref));
      });
      b.dispose();
    }
  }
  ds.dispose();
});

test('shuffling: every index exactly once per epoch, epochs differ, reruns identical, documented order', () => {
  const ds = indexed(23);
  const loader = new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 9 });
  const epochs: number[][] = [];
  for (let e = 0; e < 3; e++) {
    const seen: number[] = [];
    for (const b of loader) {
      seen.push(...b.indices);
      b.dispose();
    }
    assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 23 }, (_, i) => i));
    epochs.push(seen);
  }
  assert.equal(loader.epoch, 3);
  assert.notDeepEqual(epochs[0], epochs[1]);
  assert.notDeepEqual(epochs[1], epochs[2]);
  assert.deepEqual(epochs[1], [...new Rng(deriveSeed(9, 'loader', 1)).permutation(23)]);
  const again = new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 9 });
  const replay: number[] = [];
  for (const b of again.batches(2)) {
    replay.push(...b.indices);
    b.dispose();
  }
  assert.deepEqual(replay, epochs[2], 'a resumed run replays epoch 2 exactly');
  const other = new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 10 });
  assert.notDeepEqual([...other.order(0)], epochs[0]);
  ds.dispose();
});

test('indices option iterates a subset without copying the dataset', () => {
  const ds = indexed(30);
  const subset = [3, 17, 29, 4, 8];
  const loader = new DataLoader(ds, { batchSize: 2, shuffle: true, seed: 1, indices: subset });
  assert.equal(loader.numSamples, 5);
  assert.equal(loader.length, 3);
  const seen: number[] = [];
  for (const b of loader) {
    seen.push(...b.indices);
    assert.deepEqual(b.y.toArray(), [...b.indices].map((i) => i % 3));
    b.dispose();
  }
  assert.deepEqual(seen.sort((a, b) => a - b), [3, 4, 8, 17, 29]);
  assert.throws(() => new DataLoader(ds, { batchSize: 2, indices: [30] }), /index 30 at position 0 is out of range \[0, 30\)/);
  ds.dispose();
});

test('randomHorizontalFlip: each sample is either itself or its exact mirror; both happen; seeded', () => {
  tidy(() => {
    const x = arange(0, 64 * 2 * 3 * 4).to('float32').reshape([64, 2, 3, 4]);
    manualSeed(5);
    const y = randomHorizontalFlip(x);
    const flipped = x.flip(3);
    let nFlipped = 0;
    for (let i = 0; i < 64; i++) {
      const yi = y.select(0, i);
      if (yi.equal(flipped.select(0, i))) nFlipped++;
      else assert.ok(yi.equal(x.select(0, i)), `sample ${i} is neither itself nor its mirror`);
    }
    assert.ok(nFlipped > 16 && nFlipped < 48, `${nFlipped} of 64 flipped`);
    manualSeed(5);
    assert.ok(randomHorizontalFlip(x).equal(y));
    assert.ok(randomHorizontalFlip(x, 0).equal(x));
    assert.ok(randomHorizontalFlip(x, 1).equal(flipped));
    assert.ok(x.equal(arange(0, 64 * 2 * 3 * 4).to('float32').reshape([64, 2, 3, 4])), 'input unchanged');
  });
});

test('randomCrop: shape kept, each sample a shifted window of its zero-padded self, offsets differ per sample', () => {
  tidy(() => {
    const b = 32;
    const h = 5;
    const w = 6;
    const p = 2;
    // distinct positive values so a window can be located exactly
    const x = arange(1, b * 2 * h * w + 1).to('float32').reshape([b, 2, h, w]);
    manualSeed(3);
    const y = randomCrop(x, p);
    assert.deepEqual(y.shape, [b, 2, h, w]);
    const xs = x.toTypedArray() as Float32Array;
    const ys = y.toTypedArray() as Float32Array;
    const offsets = new Set<string>();
    for (let s = 0; s < b; s++) {
      let found: string | null = null;
      for (let oy = 0; oy <= 2 * p && found === null; oy++) {
        for (let ox = 0; ox <= 2 * p && found === null; ox++) {
          let ok = true;
          for (let c = 0; c < 2 && ok; c++) {
            for (let i = 0; i < h && ok; i++) {
              for (let j = 0; j < w && ok; j++) {
                const si = i + oy - p;
                const sj = j + ox - p;
                const expected = si >= 0 && si < h && sj >= 0 && sj < w ? xs[((s * 2 + c) * h + si) * w + sj]! : 0;
                ok = ys[((s * 2 + c) * h + i) * w + j] === expected;
              }
            }
          }
          if (ok) found = `${oy},${ox}`;
        }
      }
      assert.ok(found !== null, `sample ${s} is not a padded window of its input`);
      offsets.add(found);
    }
    assert.ok(offsets.size >= 8, `only ${offsets.size} distinct offsets over ${b} samples`);
    assert.ok(offsets.size > 1 && [...offsets].some((o) => o !== `${p},${p}`), 'content moved');
    manualSeed(3);
    assert.ok(randomCrop(x, p).equal(y), 'seeded by manualSeed');
    assert.ok(randomCrop(x, 0).equal(x));
    assert.throws(() => randomCrop(x.select(0, 0), 2), /expected a \[B, C, H, W\] batch/);
  });
});

test('loader with augmentation: shapes, values in [0, 1], memory back to baseline after each epoch', () => {
  const ds = syntheticDataset({ n: 100, channels: 3, size: 8, seed: 1 });
  const loader = new DataLoader(ds, { batchSize: 32, shuffle: true, seed: 2, augment: { cropPadding: 4, flip: true } });
  manualSeed(0);
  const before = baselineMemory();
  for (let epoch = 0; epoch < 2; epoch++) {
    for (const b of loader) {
      assert.deepEqual(b.x.shape, [b.indices.length, 3, 8, 8]);
      tidy(() => {
        assert.ok(b.x.min().item() >= 0 && b.x.max().item() <= 1);
      });
      b.dispose();
    }
    assert.deepEqual(memory(), before);
  }
  // a custom batch transform function is accepted too
  const custom = new DataLoader(ds, { batchSize: 50, augment: (x) => x.mul(0) });
  for (const b of custom) {
    tidy(() => assert.equal(b.x.abs().sum().item(), 0));
    b.dispose();
  }
  // breaking out early leaks nothing but the batch the consumer holds
  for (const b of loader) {
    b.dispose();
    break;
  }
  assert.deepEqual(memory(), before);
  assert.throws(() => augmentation({ cropPadding: -1 }), /cropPadding must be a non-negative integer/);
  ds.dispose();
});
