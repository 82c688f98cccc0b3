// The distributed sampler (pure: no processes) and the bucket planner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataLoader } from '../../src/data/loader.js';
import { syntheticDataset } from '../../src/data/synthetic.js';
import { DistributedSampler, localBatchSize, shardedLoader } from '../../src/distributed/sampler.js';
import { planBuckets } from '../../src/distributed/buckets.js';
import { tidy, zeros } from '../../src/torch/index.js';

const shards = (size: number, W: number, epoch: number, seed = 7) =>
  Array.from({ length: W }, (_, rank) => new DistributedSampler({ size, worldSize: W, rank, seed }).indices(epoch));

test('shards are disjoint and cover the epoch when worldSize divides the size', () => {
  const s = shards(12, 3, 0);
  assert.deepEqual(s.map((x) => x.length), [4, 4, 4]);
  const all = s.flatMap((x) => [...x]).sort((a, b) => a - b);
  assert.deepEqual(all, [...Array(12).keys()]);
});

test('uneven sizes are padded with the first entries of the permutation (every rank gets ceil(n/W))', () => {
  const sampler = new DistributedSampler({ size: 10, worldSize: 4, rank: 0, seed: 3 });
  assert.equal(sampler.numSamples, 3);
  assert.equal(sampler.totalSize, 12);
  const order = sampler.globalOrder(2);
  assert.deepEqual([...order.slice(10)], [...order.slice(0, 2)]);
  const s = shards(10, 4, 2, 3);
  const all = s.flatMap((x) => [...x]);
  assert.equal(all.length, 12);
  assert.deepEqual([...new Set(all)].sort((a, b) => a - b), [...Array(10).keys()]);
});

test('every rank sees the same global order; epochs differ; reruns repeat', () => {
  const a = new DistributedSampler({ size: 50, worldSize: 2, rank: 0, seed: 1 });
  const b = new DistributedSampler({ size: 50, worldSize: 2, rank: 1, seed: 1 });
  assert.deepEqual(a.globalOrder(3), b.globalOrder(3));
  assert.notDeepEqual(a.globalOrder(3), a.globalOrder(4));
  assert.deepEqual(a.indices(5), new DistributedSampler({ size: 50, worldSize: 2, rank: 0, seed: 1 }).indices(5));
  // rank r takes positions r, r + W, …
  const order = a.globalOrder(3);
  assert.deepEqual([...b.indices(3)], [...order].filter((_, i) => i % 2 === 1));
});

test('worldSize 1 visits exactly the order of a shuffling DataLoader with the same seed (with and without a subset)', () => {
  const ds = syntheticDataset({ n: 40, size: 4, classes: 2 });
  const loader = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 99 });
  const one = new DistributedSampler({ size: 40, worldSize: 1, rank: 0, seed: 99 });
  for (const e of [0, 1, 7]) assert.deepEqual(one.indices(e), loader.order(e));
  const subset = [3, 9, 12, 20, 21, 33];
  const subLoader = new DataLoader(ds, { batchSize: 2, shuffle: true, seed: 5, indices: subset });
  assert.deepEqual(new DistributedSampler({ size: 6, worldSize: 1, rank: 0, seed: 5, subset }).indices(2), subLoader.order(2));
  ds.dispose();
});

test('global batch k is split exactly across the ranks\' k-th local batches', () => {
  const ds = syntheticDataset({ n: 48, size: 4, classes: 2 });
  const global = [...new DataLoader(ds, { batchSize: 12, shuffle: true, seed: 4 }).batches(1)].map((b) => {
    b.dispose();
    return [...b.indices].sort((x, y) => x - y);
  });
  const perRank = [0, 1, 2].map((rank) =>
    [...shardedLoader(ds, { globalBatchSize: 12, worldSize: 3, rank, epoch: 1, seed: 4 })].map((b) => {
      b.dispose();
      return [...b.indices];
    }),
  );
  assert.equal(global.length, 4);
  global.forEach((g, k) => {
    assert.deepEqual(perRank.flatMap((r) => r[k]!).sort((x, y) => x - y), g);
    for (const r of perRank) assert.equal(r[k]!.length, 4);
  });
  ds.dispose();
});

test('clear errors: batch not divisible, bad rank, empty set', () => {
  assert.equal(localBatchSize(256, 4), 64);
  assert.throws(() => localBatchSize(100, 3), /batch size 100 is not divisible by the number of processes 3/);
  assert.throws(() => new DistributedSampler({ size: 10, worldSize: 2, rank: 2 }), /rank must be in \[0, 2\)/);
  assert.throws(() => new DistributedSampler({ size: 0, worldSize: 2, rank: 0 }), /size must be a positive integer/);
});

test('buckets group by dtype, keep order, and respect the cap', () => {
  tidy(() => {
    const ts = [zeros([4]), zeros([4], { dtype: 'float64' }), zeros([2]), zeros([100]), zeros([1]), zeros([3], { dtype: 'float64' })];
    // float32 sizes: 16, 8, 400, 4 bytes; float64: 32, 24 bytes; cap 32 bytes
    assert.deepEqual(planBuckets(ts, 32), [[0, 2], [3], [1], [4], [5]]);
    assert.deepEqual(planBuckets(ts), [[0, 2, 3, 4], [1, 5]]);
  });
});
