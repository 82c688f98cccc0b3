// The CLI entry points end to end on Fashion-MNIST with a tiny UNet and a handful of steps: train → eval (with a
// grid) → unlearn → sample. Checks the files, the manifests and the report's internal consistency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, manualSeed, memory } from '../../src/index.js';
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import {
  diffusionTrainCommand,
  diffusionEvalCommand,
  diffusionUnlearnCommand,
  diffusionSampleCommand,
  EVAL_CLASSIFIER_SPEC,
  readDiffusionManifest,
  type DiffusionProgress,
} from '../../src/diffusion/index.js';
import { baselineMemory } from '../baseline.js';

const pngSize = (path: string): [number, number] => {
  const b = readFileSync(path);
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
};

test('train → eval → unlearn → sample on Fashion-MNIST (tiny UNet, few steps)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-diffusion-cmd-'));
  const base = baselineMemory();
  try {
    const phases = new Set<string>();
    const progress = (p: DiffusionProgress) => phases.add(p.phase);
    const ddpm = join(dir, 'ddpm');
    const trained = await diffusionTrainCommand({ out: ddpm, unet: 'tiny', iterations: 2, batchSize: 8, timesteps: 20, warmup: 1 }, progress);
    assert.equal(trained.manifest.kind, 'original');
    assert.deepEqual([trained.manifest.unet.imageSize, trained.manifest.unet.numClasses], [32, 10]); // from the data
    assert.ok(trained.manifest.ema !== null);
    assert.equal(existsSync(join(ddpm, 'resume.json')), false, 'resume state is removed once the checkpoint is complete');

    manualSeed(0);
    const clf = createModel(EVAL_CLASSIFIER_SPEC); // untrained: enough to check the plumbing
    saveCheckpoint(join(dir, 'clf'), clf, clf.spec, { kind: 'diffusion-eval-classifier' });
    clf.dispose();

    const grid = join(dir, 'grid.png');
    const report = await diffusionEvalCommand({ model: ddpm, classifier: join(dir, 'clf'), forgetClass: 3, samplesForget: 4, samplesPerClass: 2, realPerClass: 30, steps: 2, grid }, progress);
    assert.equal(report.ua, 100 - report.perClassAccuracy[3]!);
    assert.equal(report.forgetPredictions.reduce((a, b) => a + b, 0), 4);
    assert.equal(report.samples.realImages, 9 * 30);
    assert.ok(Number.isFinite(report.frechet) && report.frechet >= 0);
    assert.match(report.frechetNote, /not Inception FID/);
    assert.deepEqual(pngSize(grid), [8 * 32 + 9 * 2, 10 * 32 + 11 * 2]);

    const out = join(dir, 'salun');
    const un = await diffusionUnlearnCommand({ model: ddpm, out, method: 'salun', forgetClass: 3, iterations: 2, batchSize: 8, gradientSamples: 16 }, progress);
    const man = readDiffusionManifest(out);
    assert.equal(man.kind, 'unlearned');
    assert.equal(man.ema, null);
    assert.equal(un.result.method, 'salun');
    assert.equal((man['unlearning'] as { forgetClass: number }).forgetClass, 3);

    const s = await diffusionSampleCommand({ model: out, out: join(dir, 'samples', 's.png'), perClass: 3, classes: [0, 5], steps: 2 }, progress);
    assert.deepEqual([s.width, s.height], [3 * 32 + 4 * 2, 2 * 32 + 3 * 2]);
    assert.deepEqual(pngSize(s.path), [s.width, s.height]);
    // no --steps on a 20-timestep model: DDIM takes every timestep (the default 100 does not fit)
    const all = await diffusionSampleCommand({ model: out, out: join(dir, 'samples', 'all.png'), perClass: 1, classes: [0] }, progress);
    assert.deepEqual([all.width, all.height], [32 + 2 * 2, 32 + 2 * 2]);
    assert.deepEqual([...phases].sort(), ['eval', 'gradient', 'sample', 'train', 'unlearn']);

    await assert.rejects(diffusionEvalCommand({ model: ddpm, classifier: join(dir, 'none'), forgetClass: 0 }), /no evaluation classifier at .*lethe diffusion classifier/);
    await assert.rejects(diffusionUnlearnCommand({ model: join(dir, 'none'), out, method: 'ft', forgetClass: 0 }), /no manifest.json/);
    assert.deepEqual(memory(), base);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train --forget-class: the retrain reference never draws the class; an interrupted run resumes only with its settings', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-diffusion-retrain-'));
  const base = baselineMemory();
  try {
    const out = join(dir, 'retrain');
    const settings = { out, unet: 'tiny' as const, iterations: 3, batchSize: 8, timesteps: 20, warmup: 1, forgetClass: 3, checkpointEvery: 1 };
    const ac = new AbortController();
    await assert.rejects(diffusionTrainCommand(settings, (p) => p.step === 2 && ac.abort(), ac.signal), /abort/i);
    assert.ok(existsSync(join(out, 'resume.json')));
    // another lr, or the class kept, would make a run that is neither: refused, the state kept
    await assert.rejects(diffusionTrainCommand({ ...settings, lr: 5e-4 }), /holds an interrupted training run made with other settings \(lr 0\.001 there, 0\.0005 now\); rerun it with its settings/);
    await assert.rejects(diffusionTrainCommand({ ...settings, forgetClass: undefined }), /forgetClass 3 there, null now/);
    const done = await diffusionTrainCommand(settings);
    assert.equal(done.resumedFrom, 2);
    assert.equal(done.manifest.kind, 'retrain');
    const training = done.manifest['training'] as { forgetClass: number; trainingSamples: number };
    assert.equal(training.forgetClass, 3);
    assert.equal(training.trainingSamples, 60000 - 6000); // Fashion-MNIST's training set without its 6,000 class-3 images
    await assert.rejects(diffusionTrainCommand({ ...settings, out: join(dir, 'x'), forgetClass: 10 }), /forgetClass must be a class of the data, in \[0, 10\), got 10/);
    assert.deepEqual(memory(), base);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('diffusionUnlearnCommand: gamma beside subspace.gamma is refused before the checkpoint is read', async () => {
  const missing = join(tmpdir(), 'lethe-no-such-ddpm');
  await assert.rejects(
    diffusionUnlearnCommand({ model: missing, out: join(tmpdir(), 'lethe-no-such-out'), method: 'semu', forgetClass: 1, gamma: 0.9, subspace: { gamma: 0.8 } }),
    /gamma and subspace\.gamma: given together; give one of them/,
  );
  assert.ok(!existsSync(missing));
});
