// Determinism (CPU): every registered method, and the building blocks combined with methods that do not use them by
// default, give bit-identical weights and BatchNorm statistics for the same seed, and no run leaks a tensor. A
// resnet20 with BatchNorm on 8×8 images, so the shuffles, random labels, BN's running statistics, the curriculum's
// ordering, the mask's top-k and the SVD all take part.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createModel, manualSeed, memory, setNumThreads, getNumThreads, tidy, type ModelSpec } from '../../src/index.js';
import { getMethod, methodNames, unlearn, type UnlearnRunOptions } from '../../src/unlearn/index.js';
import { syntheticDataset } from '../../src/data/synthetic.js';
import type { TensorDataset } from '../../src/data/dataset.js';
import type { Module } from '../../src/nn/module.js';
import { baselineMemory } from '../baseline.js';

const spec: ModelSpec = { name: 'resnet20', inChannels: 1, numClasses: 4, imageSize: 8 };
let original: Module;
let forget: TensorDataset;
let retain: TensorDataset;
let threads: number;

before(() => {
  threads = getNumThreads();
  setNumThreads(1);
  const all = syntheticDataset({ n: 80, classes: 4, size: 8, seed: 5, noise: 60 });
  const ids = Array.from({ length: 80 }, (_, i) => i);
  forget = all.subset(ids.slice(0, 16), 'forget');
  retain = all.subset(ids.slice(16), 'retain');
  all.dispose();
  manualSeed(11);
  original = createModel(spec);
});
after(() => {
  for (const t of [original, forget, retain]) t.dispose();
  setNumThreads(threads);
});

/** Every state-dict entry (weights and BN buffers) as raw bytes. */
function bytes(m: Module): Map<string, Buffer> {
  return tidy(() => new Map([...m.stateDict()].map(([k, v]) => [k, Buffer.from(v.to('float64').toTypedArray().buffer)])));
}

/** One epoch (or the method's smallest unit of work) with small batches, so the run takes a second. */
function shortOptions(method: string): Record<string, unknown> {
  const defaults = getMethod(method).defaults as unknown as Record<string, unknown>;
  const o: Record<string, unknown> = {};
  // (a method without training steps, IU, has lr 0 and refuses an epoch count)
  if ('epochs' in defaults && (defaults['lr'] as number) > 0) o['epochs'] = 1;
  if ('batchSize' in defaults) o['batchSize'] = 16;
  if ('forgetBatchSize' in defaults) o['forgetBatchSize'] = 8;
  if ('stageEpochs' in defaults) o['stageEpochs'] = 1;
  return o;
}

async function weightsOf(run: UnlearnRunOptions): Promise<Map<string, Buffer>> {
  const r = await unlearn(original, spec, { forget, retain }, run);
  try {
    return bytes(r.model);
  } finally {
    r.model.dispose();
  }
}

async function twice(run: Omit<UnlearnRunOptions, 'seed'>): Promise<void> {
  const base = baselineMemory();
  const results: Map<string, Buffer>[] = [];
  for (let i = 0; i < 2; i++) {
    // a different global generator state before each run: the run's seed alone must decide its randomness
    manualSeed(100 + i);
    results.push(await weightsOf({ ...run, seed: 3 }));
  }
  const [a, b] = results as [Map<string, Buffer>, Map<string, Buffer>];
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, v] of a) assert.ok(v.equals(b.get(k)!), `${run.method}: '${k}' differs between two runs with the same seed`);
  // and the run did something, so that the equality above is not the trivial one
  const before = bytes(original);
  assert.ok([...a].some(([k, v]) => !v.equals(before.get(k)!)), `${run.method} left every weight as it was`);
  assert.deepEqual(memory(), base, `${run.method} leaked tensors`);
}

/** A short curriculum, two stages of one epoch, and a run long enough to reach its second stage. */
const SHORT_CURRICULUM = { stages: 2, epochsPerStage: 1 };
const withCurriculum = (method: string): Omit<UnlearnRunOptions, 'seed'> => ({ method, options: { ...shortOptions(method), epochs: 2 }, curriculum: SHORT_CURRICULUM });

for (const method of methodNames()) {
  test(`${method}: the same seed gives bit-identical weights and BatchNorm statistics`, async () => {
    await twice(getMethod(method).defaultBlocks?.curriculum ? withCurriculum(method) : { method, options: shortOptions(method) });
  });
}

test('blocks on methods that do not use them by default: ga + mask, rl + subspace, salun + curriculum', async () => {
  await twice({ method: 'ga', options: shortOptions('ga'), mask: { ratio: 0.3 } });
  await twice({ method: 'rl', options: shortOptions('rl'), subspace: true });
  await twice(withCurriculum('salun'));
});

test('the check can fail: another seed gives other weights (rl draws other labels and another shuffle)', async () => {
  const a = await weightsOf({ method: 'rl', options: shortOptions('rl'), seed: 3 });
  const b = await weightsOf({ method: 'rl', options: shortOptions('rl'), seed: 4 });
  assert.ok([...a].some(([k, v]) => !v.equals(b.get(k)!)));
});
