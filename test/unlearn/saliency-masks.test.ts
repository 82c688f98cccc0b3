// saliencyMasks: the masks of several ratios from one gradient pass, each equal to the mask a run of that method and
// seed builds (the run's 'mask' stream replayed: a wrong stream, seed or batch size would change the partial last
// batch's weight and so the ranking); bad arguments are refused; memory returns to baseline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, memory, tidy, type Tensor } from '../../src/index.js';
import { syntheticDataset } from '../../src/data/index.js';
import { createModel, type ModelSpec } from '../../src/models/index.js';
import { maskProvenanceWarnings, saliencyMasks, unlearn, type SaliencyMask } from '../../src/unlearn/index.js';
import { baselineMemory } from '../baseline.js';

const spec: ModelSpec = { name: 'mlp', inChannels: 1, numClasses: 4, imageSize: 8, hiddenSizes: [32] };

test('each ratio\'s mask equals the one unlearn builds for that method, seed and batch size', async () => {
  const before = baselineMemory();
  const forget = syntheticDataset({ n: 75, classes: 4, channels: 1, size: 8, seed: 2, noise: 60 });
  const retain = syntheticDataset({ n: 40, classes: 4, channels: 1, size: 8, seed: 3, noise: 60 });
  manualSeed(5);
  const model = createModel(spec);
  const ratios = [0.2, 0.6];
  // batch 16 over 75 images: four full batches and a partial one of 11, whose mean weighs each image more
  const masks = saliencyMasks(model, forget, ratios, { method: 'rl', options: { batchSize: 16 }, seed: 7 });
  for (const [i, ratio] of ratios.entries()) {
    let fromRun: Map<string, Tensor> | null = null;
    const result = await unlearn(model, spec, { forget, retain }, {
      method: 'rl',
      options: { epochs: 0, batchSize: 16 },
      mask: { ratio, onBuilt: (m: SaliencyMask) => (fromRun = new Map([...m.masks].map(([k, t]) => [k, t.clone()]))) },
      seed: 7,
    });
    result.model.dispose();
    assert.ok(fromRun !== null);
    const run: Map<string, Tensor> = fromRun;
    assert.deepEqual([...masks[i]!.masks.keys()], [...run.keys()]);
    for (const [name, t] of run) tidy(() => assert.equal(t.ne(masks[i]!.require(name)).sum().item(), 0, `${name} at ratio ${ratio}`));
    for (const t of run.values()) t.dispose();
  }
  // nested: the 0.2 mask's salient weights are among the 0.6 mask's
  for (const name of masks[0]!.masks.keys()) tidy(() => assert.equal(masks[0]!.require(name).gt(masks[1]!.require(name)).sum().item(), 0, name));
  // another seed reorders the stream: the partial batch holds other images, and the ranking moves
  const other = saliencyMasks(model, forget, [0.2], { method: 'rl', options: { batchSize: 16 }, seed: 8 });
  const moved = [...masks[0]!.masks].reduce((a, [name, t]) => a + tidy(() => t.ne(other[0]!.require(name)).sum().item()), 0);
  assert.ok(moved > 0, 'the seed did not change the stream');
  for (const m of [...masks, ...other]) m.dispose();
  model.dispose();
  forget.dispose();
  retain.dispose();
  assert.deepEqual(memory(), before);
});

test('bad arguments are refused before the gradient pass', () => {
  const before = baselineMemory();
  const forget = syntheticDataset({ n: 10, classes: 4, channels: 1, size: 8, seed: 2, noise: 60 });
  const empty = forget.subset(new Int32Array(0));
  const model = createModel(spec);
  assert.throws(() => saliencyMasks(model, forget, []), /give at least one ratio/);
  assert.throws(() => saliencyMasks(model, forget, [0.5, 0]), /every ratio must be in \(0, 1\], got 0/);
  assert.throws(() => saliencyMasks(model, forget, [0.5, 0.5]), /ratios repeat/);
  assert.throws(() => saliencyMasks(model, empty, [0.5]), /the forget set is empty/);
  assert.throws(() => saliencyMasks(model, forget, [0.5], { method: 'nope' }), /unknown unlearning method 'nope'/);
  assert.throws(() => saliencyMasks(model, forget, [0.5], { options: { batchSize: 0 } }), /batchSize must be a positive integer/);
  for (const d of [forget, empty]) d.dispose();
  model.dispose();
  assert.throws(() => saliencyMasks(model, forget, [0.5]), /disposed/);
  assert.deepEqual(memory(), before);
});

test('a mask file\'s record against the run: other weights, another forget set or selection, another class', () => {
  const record = { model: 'a'.repeat(64), forget: 'indices:f.json', forgetDigest: 'd1', forgetClass: '1' };
  assert.deepEqual(maskProvenanceWarnings(record, { model: 'a'.repeat(64), forget: 'indices:f.json', forgetDigest: 'd1' }), []);
  assert.deepEqual(maskProvenanceWarnings(record, { model: 'b'.repeat(64), forget: 'indices:f.json', forgetDigest: 'd2' }), [
    `it was computed from other weights (sha256 ${'a'.repeat(12)}…; this run starts from ${'b'.repeat(12)}…)`,
    "it was computed for another selection of 'indices:f.json' (its indices file changed since)",
  ]);
  // another spec is said once (its digest differs too)
  assert.deepEqual(maskProvenanceWarnings(record, { model: 'a'.repeat(64), forget: 'class:2', forgetDigest: 'd3' }), ["it was computed for the forget set 'indices:f.json'; this run forgets 'class:2'"]);
  assert.deepEqual(maskProvenanceWarnings(record, { model: 'a'.repeat(64), forgetClass: 3 }), ['it was computed for class 1; this run forgets class 3']);
  // a file that records nothing (the reference's torch.save masks) raises nothing
  assert.deepEqual(maskProvenanceWarnings({}, { model: 'x', forget: 'class:1', forgetClass: 2 }), []);
});
