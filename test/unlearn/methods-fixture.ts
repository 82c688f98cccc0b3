// Shared set-up of the unlearning-method tests: a small, noisy synthetic task that an MLP memorises, so the
// forget set's accuracy (100%) is far above what a model that never saw it reaches (≈ test accuracy, ~55%).
import assert from 'node:assert/strict';
import { syntheticDataset } from '../../src/data/synthetic.js';
import type { TensorDataset } from '../../src/data/dataset.js';
import { createModel, type ImageClassifier, type ModelSpec } from '../../src/models/index.js';
import type { Module } from '../../src/nn/module.js';
import { fit } from '../../src/train/fit.js';
import type { TrainRecipe } from '../../src/train/recipe.js';
import { evaluateSplit } from '../../src/eval/outputs.js';
import { manualSeed, memory, setNumThreads, tidy, type MemoryInfo } from '../../src/torch/index.js';

// Tiny models: libtorch's thread pool costs more than it gains, and the test machine's cores are shared.
setNumThreads(1);

/** The pretraining recipe (also what retrain is given, so the two are comparable). */
export const PRETRAIN: Partial<TrainRecipe> = { epochs: 40, lr: 0.05, batchSize: 16, schedule: 'constant' };

export interface Fixture {
  spec: ModelSpec;
  train: TensorDataset;
  forget: TensorDataset;
  retain: TensorDataset;
  test: TensorDataset;
  original: ImageClassifier;
  dispose(): void;
}

/** 120 training images of 4 classes (8×8, noise 120), the first 24 forgotten; 300 test images; an MLP memorises the 120. */
export async function makeFixture(): Promise<Fixture> {
  const train = syntheticDataset({ n: 120, classes: 4, size: 8, seed: 1, noise: 120, name: 'train' });
  const test = syntheticDataset({ n: 300, classes: 4, size: 8, seed: 2, noise: 120, name: 'test' });
  const ids = Array.from({ length: 120 }, (_, i) => i);
  const forget = train.subset(ids.slice(0, 24), 'forget');
  const retain = train.subset(ids.slice(24), 'retain');
  const spec: ModelSpec = { name: 'mlp', inChannels: 1, numClasses: 4, imageSize: 8, hiddenSizes: [64] };
  manualSeed(0);
  const original = createModel(spec);
  await fit(original, train, { recipe: PRETRAIN, seed: 0 });
  return {
    spec,
    train,
    forget,
    retain,
    test,
    original,
    dispose() {
      original.dispose();
      for (const d of [train, forget, retain, test]) d.dispose();
    },
  };
}

/** Forget / retain / test accuracy in percent. */
export function accuracies(model: Module, f: Fixture): { forget: number; retain: number; test: number } {
  return { forget: evaluateSplit(model, f.forget).accuracy, retain: evaluateSplit(model, f.retain).accuracy, test: evaluateSplit(model, f.test).accuracy };
}

/** A copy of every state-dict value as plain numbers, to check later that nothing changed a single bit. */
export function snapshot(model: Module): Map<string, Float64Array> {
  return tidy(() => {
    const out = new Map<string, Float64Array>();
    for (const [k, t] of model.stateDict()) out.set(k, Float64Array.from(t.double().toTypedArray() as Float64Array));
    return out;
  });
}

export function assertUnchanged(model: Module, before: Map<string, Float64Array>, what: string): void {
  const now = snapshot(model);
  assert.deepEqual([...now.keys()], [...before.keys()], `${what}: state-dict keys changed`);
  for (const [k, v] of before) assert.deepEqual(now.get(k), v, `${what}: ${k} changed`);
}

/** Flattened parameters as float64 numbers, in namedParameters order. */
export function flatParams(model: Module): Float64Array {
  return tidy(() => {
    const parts = [...model.parameters()].map((p) => p.double().reshape(-1).toTypedArray() as Float64Array);
    const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  });
}

export function assertMemory(baseline: MemoryInfo, what: string): void {
  assert.deepEqual(memory(), baseline, `${what}: memory did not return to its baseline`);
}
