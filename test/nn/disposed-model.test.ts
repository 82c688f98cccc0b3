// A model the caller has disposed fails at each public entry point with a message that names the entry point and
// what happened, before any work, instead of the generic error of the first tensor it would touch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticDataset } from '../../src/data/index.js';
import { createModel, type ModelSpec } from '../../src/models/index.js';
import { fit } from '../../src/train/fit.js';
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import { evaluateUnlearning } from '../../src/eval/evaluate.js';
import { evaluateSplit } from '../../src/eval/outputs.js';
import { unlearn } from '../../src/unlearn/index.js';
import { Ema, NoiseSchedule, UNet, trainDiffusion, unlearnDiffusion } from '../../src/diffusion/index.js';
import { manualSeed, memory } from '../../src/torch/index.js';
import { baselineMemory } from '../baseline.js';

const spec: ModelSpec = { name: 'mlp', inChannels: 1, numClasses: 3, imageSize: 4, hiddenSizes: [8] };
const disposed = (where: string): RegExp => new RegExp(`${where}: the model was disposed; load or build it again`);

test('a disposed classifier: fit, saveCheckpoint, evaluation and unlearn name the problem; nothing is written', async () => {
  const data = syntheticDataset({ n: 24, classes: 3, channels: 1, size: 4, seed: 2 });
  manualSeed(2);
  const model = createModel(spec);
  model.dispose();
  const base = baselineMemory();
  await assert.rejects(fit(model, data, { recipe: { epochs: 1, batchSize: 8 } }), disposed('fit'));
  const dir = mkdtempSync(join(tmpdir(), 'lethe-disposed-'));
  assert.throws(() => saveCheckpoint(dir, model, spec, { kind: 'original' }), disposed('saveCheckpoint'));
  assert.deepEqual(readdirSync(dir), [], 'no file was written');
  assert.throws(() => evaluateSplit(model, data), disposed('evaluateSplit'));
  assert.throws(() => evaluateUnlearning(model, { forget: data, retain: data, test: data }), disposed('evaluateUnlearning'));
  await assert.rejects(unlearn(model, spec, { forget: data, retain: data }, { method: 'ft' }), disposed('unlearn'));
  assert.deepEqual(memory(), base, 'the refusals allocate nothing');
  data.dispose();
  // a live model passes the same check and returns itself
  const live = createModel(spec);
  assert.equal(live.checkLive('fit'), live);
  live.dispose();
});

test('a disposed UNet: trainDiffusion and unlearnDiffusion name the problem', async () => {
  const data = syntheticDataset({ n: 12, classes: 3, size: 8, seed: 2 });
  const schedule = new NoiseSchedule({ timesteps: 10 });
  manualSeed(1);
  const model = new UNet('tiny');
  const ema = new Ema(model, 0.99);
  model.dispose();
  await assert.rejects(trainDiffusion(model, ema, schedule, data, { iterations: 1 }), disposed('trainDiffusion'));
  await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'salun', forgetClass: 0 }), disposed('unlearnDiffusion'));
  ema.dispose();
  data.dispose();
});
