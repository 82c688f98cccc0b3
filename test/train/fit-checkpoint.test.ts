// fit's onCheckpoint hook: called once per epoch with the optimizer state a resume needs; fit owns those tensors
// and frees them after the call, so a hook that only looks (or saves) leaks nothing over a long run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticDataset } from '../../src/data/index.js';
import { createModel, type ModelSpec } from '../../src/models/index.js';
import { fit, type ResumeState } from '../../src/train/fit.js';
import { loadResumeState, saveResumeState } from '../../src/index.js';
import { manualSeed, memory, type Tensor } from '../../src/torch/index.js';
import { baselineMemory } from '../baseline.js';

const spec: ModelSpec = { name: 'mlp', inChannels: 1, numClasses: 3, imageSize: 4, hiddenSizes: [8] };

test('onCheckpoint: one call per epoch, its tensors freed after the call, memory flat', async () => {
  const data = syntheticDataset({ n: 48, classes: 3, channels: 1, size: 4, seed: 2 });
  manualSeed(2);
  const model = createModel(spec);
  const dir = mkdtempSync(join(tmpdir(), 'lethe-fit-ckpt-'));
  const base = baselineMemory();
  const epochs: number[] = [];
  const seen: Tensor[] = [];
  await fit(model, data, {
    recipe: { epochs: 3, lr: 0.1, batchSize: 16 },
    onCheckpoint: (s: ResumeState) => {
      epochs.push(s.epoch);
      assert.ok(s.optimizer.state.size > 0, 'SGD with momentum has state to save');
      seen.push(...s.optimizer.state.values());
      saveResumeState(dir, model, s);
    },
  });
  assert.deepEqual(epochs, [1, 2, 3]);
  assert.ok(seen.every((t) => t.isDisposed), 'fit disposed the state it handed over');
  assert.deepEqual(memory(), base, 'no tensor outlives the run but the model');
  // what the hook saved is a resume point: the last epoch, with its optimizer state
  const resumed = createModel(spec);
  const state = loadResumeState(dir, resumed);
  assert.equal(state?.epoch, 3);
  assert.equal(state?.optimizer.state.size, seen.length / 3);
  for (const t of state!.optimizer.state.values()) t.dispose();
  resumed.dispose();
  model.dispose();
  data.dispose();
});

test('loadResumeState into another architecture: the load error, and no tensor left behind', async () => {
  const data = syntheticDataset({ n: 24, classes: 3, channels: 1, size: 4, seed: 2 });
  manualSeed(2);
  const model = createModel(spec);
  const dir = mkdtempSync(join(tmpdir(), 'lethe-fit-ckpt-'));
  await fit(model, data, { recipe: { epochs: 1, lr: 0.1, batchSize: 8 }, onCheckpoint: (s) => saveResumeState(dir, model, s) });
  const other = createModel({ ...spec, hiddenSizes: [5] });
  const base = baselineMemory();
  assert.throws(() => loadResumeState(dir, other), /shape|size|mismatch/i);
  assert.deepEqual(memory(), base, 'the optimizer state read from disk is freed when the model does not take the weights');
  other.dispose();
  model.dispose();
  data.dispose();
});
