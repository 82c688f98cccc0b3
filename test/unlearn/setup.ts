// A small memorisation setting shared by the unlearning tests: a noisy synthetic 4-class task an MLP fits to
// ~100% on its training set while the test set stays far lower, so forgetting is measurable in seconds.
import { syntheticDataset, protocolSplit, type TensorDataset } from '../../src/data/index.js';
import { createModel, type ModelSpec } from '../../src/models/index.js';
import type { Module } from '../../src/nn/module.js';
import { fit } from '../../src/train/fit.js';
import { manualSeed } from '../../src/index.js';

export interface Setting {
  spec: ModelSpec;
  original: Module;
  train: TensorDataset;
  forget: TensorDataset;
  retain: TensorDataset;
  test: TensorDataset;
  dispose(): void;
}

export async function memorisationSetting(forgetSpec = 'random:0.1', seed = 1): Promise<Setting> {
  const all = syntheticDataset({ n: 660, classes: 4, channels: 1, size: 8, seed, noise: 80 });
  const test = syntheticDataset({ n: 400, classes: 4, channels: 1, size: 8, seed: seed + 100, noise: 80 });
  const split = protocolSplit(all.labelArray(), { seed, forget: forgetSpec });
  const train = all.subset(split.train);
  const forget = all.subset(split.forget);
  const retain = all.subset(split.retain);
  all.dispose();
  const spec: ModelSpec = { name: 'mlp', inChannels: 1, numClasses: 4, imageSize: 8, hiddenSizes: [128] };
  manualSeed(seed);
  const original = createModel(spec);
  await fit(original, train, { recipe: { epochs: 40, lr: 0.05, batchSize: 32, milestones: [30], weightDecay: 0 }, seed });
  return {
    spec,
    original,
    train,
    forget,
    retain,
    test,
    dispose() {
      for (const d of [train, forget, retain, test]) d.dispose();
      original.dispose();
    },
  };
}
