// fit()'s robustness paths: a loss that stops being finite ends the run with TrainingDivergedError (one process, and
// a data-parallel rank whose peers diverged), an untrainable model or an empty training set is refused up front, the
// recipe's Adam and cosine schedule are what actually runs, and a torn or foreign resume pair is not loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticDataset, type TensorDataset } from '../../src/data/index.js';
import { DataLoader } from '../../src/data/loader.js';
import { createModel, type ModelSpec } from '../../src/models/index.js';
import { fit, TrainingDivergedError, type ResumeState } from '../../src/train/fit.js';
import type { ParallelHooks } from '../../src/train/parallel.js';
import { loadResumeState, saveResumeState } from '../../src/train/checkpoint.js';
import { manualSeed, memory, noGrad, tidy } from '../../src/torch/index.js';
import type { Module } from '../../src/nn/module.js';
import { baselineMemory } from '../baseline.js';

const spec: ModelSpec = { name: 'mlp', inChannels: 1, numClasses: 3, imageSize: 4, hiddenSizes: [8] };
const tinyData = (n = 48): TensorDataset => syntheticDataset({ n, classes: 3, channels: 1, size: 4, seed: 2 });

/** Every state entry's bytes, to compare models bit for bit (NaN included). */
function bytes(m: Module): Map<string, Buffer> {
  return tidy(() => new Map([...m.stateDict()].map(([k, v]) => [k, Buffer.from((v.toTypedArray() as Float32Array).slice().buffer)])));
}

function freshModel(seed = 2): Module {
  manualSeed(seed);
  return createModel(spec);
}

// Promise: a run whose loss blows up stops with TrainingDivergedError and the advice to lower the lr, reports and saves
// nothing of that epoch, and leaves no gradient or tensor behind.
test('a huge learning rate: fit rejects with TrainingDivergedError naming the batch and the fix; no epoch is reported or checkpointed', async () => {
  const data = tinyData();
  const model = freshModel();
  const base = baselineMemory();
  const epochs: number[] = [];
  await assert.rejects(
    fit(model, data, { recipe: { epochs: 1, lr: 1e30, batchSize: 8 }, onEpoch: (m) => epochs.push(m.epoch), onCheckpoint: (s) => epochs.push(-s.epoch) }),
    (e: Error) => {
      assert.ok(e instanceof TrainingDivergedError, `${e.name}: ${e.message}`);
      assert.equal(e.name, 'TrainingDivergedError');
      assert.match(e.message, /^training diverged: the loss became (NaN|-?Infinity) at epoch 1, batch [2-6]\. Lower the learning rate \(the recipe's lr; --lr on the command line\); nothing was saved from this epoch\.$/);
      return true;
    },
  );
  assert.deepEqual(epochs, [], 'the diverged epoch was neither reported nor checkpointed');
  for (const p of model.parameters()) assert.equal(p.grad, null, 'no gradient is left on the model');
  assert.deepEqual(memory(), base, 'the optimizer and the batches are freed on the error path');
  model.dispose();
  data.dispose();
});

// Promise: the error names the epoch and batch where the loss stopped being finite; earlier epochs' checkpoints stand.
test('a weight that turns NaN between epochs: the next epoch stops at its first batch; only the finished epoch was checkpointed', async () => {
  const data = tinyData();
  const model = freshModel();
  const checkpoints: number[] = [];
  await assert.rejects(
    fit(model, data, {
      recipe: { epochs: 3, lr: 0.1, batchSize: 16 },
      onCheckpoint: (s) => {
        checkpoints.push(s.epoch);
        // a broken weight (as a bad kernel or a corrupt load would leave it): the loss of the next batch is NaN
        if (s.epoch === 1) noGrad(() => void new Map(model.namedParameters()).get('fc2.bias')!.fill_(Number.NaN));
      },
    }),
    (e: Error) => e instanceof TrainingDivergedError && /the loss became NaN at epoch 2, batch 1\. Lower the learning rate/.test(e.message),
  );
  assert.deepEqual(checkpoints, [1]);
  model.dispose();
  data.dispose();
});

// Promise (fit.ts, the check after syncGradients): in data-parallel training every rank stops at the step where the
// loss averaged over ranks is not finite, even if its own is, and takes no optimizer step on those gradients.
test('data-parallel: a rank whose own loss is finite stops when the loss averaged over ranks is not, before any step', async () => {
  // another rank diverged: syncGradients hands back the mean loss over ranks, NaN; every rank must stop at that step
  const data = tinyData();
  const model = freshModel();
  const before = bytes(model);
  const seen: number[] = [];
  const parallel: ParallelHooks = {
    rank: 0,
    worldSize: 1,
    isMaster: true,
    loader: (ds, o) => {
      const l = new DataLoader(ds, { batchSize: o.globalBatchSize, shuffle: true, seed: o.seed });
      l.epoch = o.epoch;
      return l;
    },
    syncGradients: (o) => {
      seen.push(o.loss!);
      return Number.NaN;
    },
    syncBuffers: () => {},
    averageTensors_: () => {},
    sumNumbers: (v) => [...v],
    broadcastNumbers: (v) => [...v],
  };
  await assert.rejects(
    fit(model, data, { recipe: { epochs: 1, lr: 0.1, batchSize: 16 }, parallel }),
    (e: Error) => e instanceof TrainingDivergedError && /the loss became NaN at epoch 1, batch 1\. Lower the learning rate/.test(e.message),
  );
  assert.equal(seen.length, 1, 'one synchronised step, then the stop');
  assert.ok(Number.isFinite(seen[0]), 'this rank’s own loss was finite');
  assert.deepEqual(bytes(model), before, 'the optimizer did not step on the diverged gradients');
  model.dispose();
  data.dispose();
});

// Promise: a model with nothing to train and an empty training set are clear errors before any work, not a crash.
test('fit refuses a frozen model and an empty training set before training, and leaks nothing', async () => {
  const data = tinyData();
  const model = freshModel();
  const base = baselineMemory();
  model.freeze();
  await assert.rejects(fit(model, data, { recipe: { epochs: 1 } }), /^Error: fit: the model has no trainable parameter \(is it frozen\?\)$/);
  model.unfreeze();
  const empty = data.subset([]);
  const before = bytes(model);
  await assert.rejects(fit(model, empty, { recipe: { epochs: 1 } }), /^Error: fit: the training set is empty$/);
  assert.deepEqual(bytes(model), before);
  empty.dispose();
  assert.deepEqual(memory(), base);
  model.dispose();
  data.dispose();
});

// Promise: recipe.optimizer 'adam' and schedule 'cosine' are honoured (not silently SGD / a constant lr).
test("the recipe's Adam and cosine schedule are what runs: Adam's moments are saved, the lr anneals to eta_min 0", async () => {
  const data = tinyData();
  const model = freshModel();
  const states: { epoch: number; lr: unknown; keys: string[] }[] = [];
  const r = await fit(model, data, {
    recipe: { epochs: 2, lr: 0.01, batchSize: 16, optimizer: 'adam', schedule: 'cosine' },
    onCheckpoint: (s: ResumeState) => states.push({ epoch: s.epoch, lr: s.optimizer.groups[0]!['lr'], keys: [...s.optimizer.state.keys()] }),
  });
  assert.equal(r.recipe.optimizer, 'adam');
  assert.equal(r.recipe.schedule, 'cosine');
  // CosineAnnealingLR with tMax = epochs: 0.01 during epoch 1, 0.01·(1 + cos(π/2))/2 during epoch 2, eta_min after
  assert.deepEqual(r.history.map((h) => h.lr), [0.01, 0.005]);
  assert.deepEqual(states.map((s) => s.epoch), [1, 2]);
  assert.ok(Math.abs((states[1]!.lr as number) - 0) < 1e-12, `lr after the schedule's end: ${String(states[1]!.lr)}`);
  const kinds = new Set(states[1]!.keys.map((k) => k.replace(/^\d+\./, '')));
  assert.ok(kinds.has('exp_avg') && kinds.has('exp_avg_sq'), `Adam's state: ${[...kinds].join(', ')}`);
  assert.ok(!kinds.has('momentum_buffer'), 'not SGD');
  model.dispose();
  data.dispose();
});

// Promise: a resume pair that does not belong together (or cannot be read) is never loaded: the caller starts over.
test('a torn, replaced or unreadable resume pair is not loaded: loadResumeState returns null and leaves the model as it was', async () => {
  const data = tinyData(24);
  const dir = mkdtempSync(join(tmpdir(), 'lethe-fit-torn-'));
  const other = mkdtempSync(join(tmpdir(), 'lethe-fit-torn-'));
  const trained = freshModel();
  await fit(trained, data, { recipe: { epochs: 1, lr: 0.1, batchSize: 8 }, onCheckpoint: (s) => saveResumeState(dir, trained, s) });
  const elsewhere = freshModel(5);
  await fit(elsewhere, data, { recipe: { epochs: 1, lr: 0.1, batchSize: 8 }, seed: 5, onCheckpoint: (s) => saveResumeState(other, elsewhere, s) });
  const tensors = join(dir, 'resume.safetensors');
  const good = readFileSync(tensors);
  const fresh = freshModel(9);
  const before = bytes(fresh);

  // the intact pair loads (the control)
  const ok = loadResumeState(dir, fresh);
  assert.equal(ok?.epoch, 1);
  for (const t of ok!.optimizer.state.values()) t.dispose();
  assert.notDeepEqual(bytes(fresh), before, 'the intact state was loaded');
  const reset = freshModel(9);
  const initial = bytes(reset);
  const base = baselineMemory();

  // one flipped bit in the tensors file (a write torn or damaged after resume.json was written)
  const flipped = Buffer.from(good);
  flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 0x10;
  writeFileSync(tensors, flipped);
  assert.equal(loadResumeState(dir, reset), null);
  assert.deepEqual(bytes(reset), initial, 'a torn pair writes nothing into the model');

  // another run's tensors file, itself complete and of the same architecture, beside this run's resume.json
  copyFileSync(join(other, 'resume.safetensors'), tensors);
  assert.equal(loadResumeState(dir, reset), null);
  assert.deepEqual(bytes(reset), initial, 'a foreign tensors file writes nothing into the model');

  // resume.json itself damaged: no resume state, rather than a JSON parse error
  writeFileSync(tensors, good);
  writeFileSync(join(dir, 'resume.json'), '{"epoch": 1, "hist');
  assert.equal(loadResumeState(dir, reset), null);
  writeFileSync(join(dir, 'resume.json'), 'null');
  assert.equal(loadResumeState(dir, reset), null);
  assert.deepEqual(bytes(reset), initial);
  assert.deepEqual(memory(), base, 'a refused resume state leaves no tensor behind');
  for (const m of [trained, elsewhere, fresh, reset]) m.dispose();
  data.dispose();
  for (const d of [dir, other]) rmSync(d, { recursive: true, force: true });
});
