// bnMode of the methods that train on D_f alone (GA, BS, BE): their references train in train mode, so BatchNorm's
// running statistics move to D_f's (for a whole class, one class's); bnMode=eval keeps them at the original's
// while the weights still move.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticDataset } from '../../src/data/synthetic.js';
import { createModel, type ModelSpec } from '../../src/models/index.js';
import { getMethod, unlearn } from '../../src/unlearn/index.js';
import { manualSeed, memory, setNumThreads, tidy, type Tensor } from '../../src/torch/index.js';
import type { Module } from '../../src/nn/module.js';
import { baselineMemory } from '../baseline.js';

setNumThreads(1);

/** For each named tensor of `a`: whether `b`'s tensor of that name equals it to the bit. */
function same(a: Iterable<[string, Tensor]>, b: Module, which: 'buffers' | 'parameters'): boolean[] {
  const other = new Map(which === 'buffers' ? b.namedBuffers() : b.namedParameters());
  return [...a].map(([name, t]) => tidy(() => t.eq(other.get(name)!).all().item() === 1));
}

for (const method of ['ga', 'bs', 'be']) {
  test(`${method}: bnMode=eval leaves every BatchNorm statistic bit-identical while the weights move; the default moves them`, async () => {
    const base = baselineMemory();
    const spec: ModelSpec = { name: 'resnet20', inChannels: 1, numClasses: 4, imageSize: 8 };
    manualSeed(3);
    const original = createModel(spec);
    const data = syntheticDataset({ n: 48, classes: 4, size: 8, seed: 3, noise: 60, name: 'train' });
    const labels = data.labelArray();
    const ids = Array.from({ length: 48 }, (_, i) => i);
    // class-wise: D_f is all of class 0
    const forget = data.subset(ids.filter((i) => Number(labels[i]) === 0), 'forget');
    const retain = data.subset(ids.filter((i) => Number(labels[i]) !== 0), 'retain');
    try {
      assert.equal((getMethod(method).defaults as unknown as { bnMode: string }).bnMode, 'train', 'the reference is the default');
      const options = { epochs: 2, lr: 1e-3, batchSize: 4 };
      const frozen = await unlearn(original, spec, { forget, retain }, { method, options: { ...options, bnMode: 'eval' }, seed: 1 });
      const moved = await unlearn(original, spec, { forget, retain }, { method, options, seed: 1 });
      try {
        const stats = [...original.namedBuffers()].filter(([n]) => /running_(mean|var)$/.test(n));
        assert.ok(stats.length >= 38, `resnet20 has 19 BatchNorms, found ${stats.length} statistics`);
        assert.ok(same(stats, frozen.model, 'buffers').every(Boolean), 'bnMode=eval: a running statistic moved');
        assert.ok(same(stats, moved.model, 'buffers').every((v) => !v), 'train mode: every running statistic follows D_f');
        const weights = [...original.namedParameters()].filter(([n]) => n.endsWith('conv1.weight') || n === 'fc.weight');
        assert.ok(weights.length > 0);
        assert.ok(same(weights, frozen.model, 'parameters').every((v) => !v), 'bnMode=eval: the weights still move');
        assert.ok(frozen.model.training, 'the model is handed back in train mode, as the other methods leave it');
        for (const m of frozen.model.modules()) assert.ok(m.training, 'every BatchNorm is handed back in train mode too');
      } finally {
        frozen.model.dispose();
        moved.model.dispose();
      }
      await assert.rejects(
        unlearn(original, spec, { forget, retain }, { method, options: { ...options, bnMode: 'frozen' }, seed: 1 }),
        new RegExp(`${method}: bnMode must be 'train' \\(the reference\\) or 'eval', got 'frozen'`),
      );
    } finally {
      for (const d of [original, data, forget, retain]) d.dispose();
    }
    assert.deepEqual(memory(), base);
  });
}
