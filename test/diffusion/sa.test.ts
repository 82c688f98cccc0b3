// Selective Amnesia for a class-conditional DDPM: the Fisher diagonal and the EWC penalty against hand computations, the
// replay set against sampleImages, and whole runs on a tiny UNet (the EWC term holds the weights the Fisher information
// marks, the input is untouched, runs are deterministic, bad settings are refused).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, memory, noGrad, randn, syntheticDataset, tensor, tidy, type Tensor } from '../../src/index.js';
import { Module } from '../../src/nn/module.js';
import { NoiseSchedule, UNet, ewcPenalty, fisherDiagonal, sampleImages, sampleReplay, unlearnDiffusion, prepareSelectiveAmnesia, saveSaFile, loadSaFile, disposeSaPrepared } from '../../src/diffusion/index.js';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { disposeGradients } from '../../src/unlearn/blocks/gradients.js';
import { baselineMemory } from '../baseline.js';

/** ε̂(x, t, y) = w·x with one scalar parameter w: its loss gradient has a closed form. */
class ScalarModel extends Module {
  readonly nullClass = 3;
  readonly w: Tensor;
  constructor(w: number) {
    super();
    this.w = this.registerParameter('w', noGrad(() => tensor(new Float32Array([w]))));
  }
  forward(x: Tensor, _t?: Tensor, _y?: Tensor): Tensor {
    return x.mul(this.w);
  }
}

test('fisherDiagonal: per image, the squared gradient of Σ_t ‖ε_t − ε̂(x_t)‖², averaged over images (closed form for ε̂ = w·x)', async () => {
  const base = baselineMemory();
  const schedule = new NoiseSchedule({ timesteps: 4 });
  const model = new ScalarModel(0.5);
  const images = tidy(() => randn([2, 1, 2, 2]));
  const labels = tensor(new BigInt64Array([0n, 2n]));
  manualSeed(7);
  const fisher = await fisherDiagonal(model as unknown as UNet, schedule, images, labels, { chunk: 4, condDrop: 0 });
  // the same noise, drawn in the same order: one [T, 1, 2, 2] draw per image
  manualSeed(7);
  const expected = tidy(() => {
    let f = 0;
    for (let i = 0; i < 2; i++) {
      const e = randn([4, 1, 2, 2]);
      let g = 0;
      for (let t = 0; t < 4; t++) {
        const ab = schedule.alphaBars[t]!;
        const xt = images.narrow(0, i, 1).mul(Math.sqrt(ab)).add(e.narrow(0, t, 1).mul(Math.sqrt(1 - ab)));
        // d/dw Σ_px (e − w·x_t)² = Σ_px −2·x_t·(e − w·x_t)
        g += xt.mul(e.narrow(0, t, 1).sub(xt.mul(0.5))).sum().item() * -2;
      }
      f += (g * g) / 2;
    }
    return f;
  });
  const got = fisher.get('w')!.item();
  assert.ok(Math.abs(got - expected) <= 1e-4 * Math.abs(expected), `F ${got}, expected ${expected}`);
  assert.equal(model.training, true, 'the mode is restored');
  disposeGradients(fisher);
  model.dispose();
  images.dispose();
  labels.dispose();
  assert.deepEqual(memory(), base);
});

test('ewcPenalty: λ·Σ F·(θ − θ*)² over the parameters the Fisher information names', () => {
  const base = baselineMemory();
  const a = new ScalarModel(2);
  const b = new ScalarModel(0.5);
  const fisher = new Map([['w', tensor(new Float32Array([3]))]]);
  assert.equal(tidy(() => ewcPenalty(a as unknown as UNet, b as unknown as UNet, fisher, 10).item()), 10 * 3 * 1.5 ** 2);
  const other = new Map([['v', tensor(new Float32Array([1]))]]);
  assert.throws(() => ewcPenalty(a as unknown as UNet, b as unknown as UNet, other, 1), /names none of the model/);
  disposeGradients(other);
  disposeGradients(fisher);
  a.dispose();
  b.dispose();
  assert.deepEqual(memory(), base);
});

test('sampleReplay: every class in blocks, the sampled images as uint8 pixels', async () => {
  const base = baselineMemory();
  manualSeed(0);
  const model = new UNet('tiny');
  const schedule = new NoiseSchedule({ timesteps: 20 });
  const replay = await sampleReplay(model, schedule, 2, { steps: 3, eta: 0, guidance: 1, seed: 4 });
  assert.deepEqual([...replay.labelArray()], [0, 0, 1, 1, 2, 2]);
  assert.deepEqual(replay.images.shape, [6, 1, 8, 8]);
  const direct = await sampleImages(model, schedule, [0, 0, 1, 1, 2, 2], { steps: 3, eta: 0, guidance: 1, seed: 4 });
  assert.equal(tidy(() => direct.add(1).mul(127.5).round().sub(replay.images.to('float32')).abs().max().item()), 0);
  direct.dispose();
  replay.dispose();
  model.dispose();
  assert.deepEqual(memory(), base);
});

test('SA on a tiny UNet: the EWC term holds the Fisher-marked weights, the input is untouched, same seed same weights', async () => {
  const base = baselineMemory();
  manualSeed(0);
  const model = new UNet('tiny');
  const data = syntheticDataset({ n: 36, classes: 3, size: 8, seed: 1 });
  const schedule = new NoiseSchedule({ timesteps: 50 });
  const before = model.stateDict({ clone: true });
  const sa = { replayPerClass: 4, fimPerClass: 2, replaySteps: 5, replayEta: 0, fimChunk: 25 };
  const run = (ewcWeight: number) => unlearnDiffusion(model, schedule, data, { method: 'sa', forgetClass: 1, iterations: 8, batchSize: 4, lr: 1e-2, sa: { ...sa, ewcWeight }, seed: 2 });
  const phases = new Set<string>();
  const free = await unlearnDiffusion(model, schedule, data, { method: 'sa', forgetClass: 1, iterations: 8, batchSize: 4, lr: 1e-2, sa: { ...sa, ewcWeight: 0 }, seed: 2, onProgress: (p) => phases.add(p.phase) });
  assert.deepEqual([...phases], ['sample', 'fim', 'unlearn']);
  const held = await run(1e4);
  const again = await run(1e4);
  assert.deepEqual(held.result.sa, { ewcWeight: 1e4, replayWeight: 1, replayPerClass: 4, fimPerClass: 2, replaySteps: 5, replayEta: 0, replayGuidance: 2, fimChunk: 25 });
  assert.equal(held.result.trainable, model.numParameters());
  // the drift the penalty measures, Σ F·(θ − θ*)², is far smaller with λ than without; F from the run's own pass
  const replay = await sampleReplay(model, schedule, 2, { steps: 5, eta: 0, guidance: 2, seed: 9 });
  const x = tidy(() => replay.images.to('float32').div(127.5).sub(1));
  const fisher = await fisherDiagonal(model, schedule, x, replay.labels, { chunk: 25 });
  const drift = (m: UNet): number => tidy(() => ewcPenalty(m, model, fisher, 1).item());
  assert.ok(drift(held.model) < 0.5 * drift(free.model), `F-weighted drift with λ ${drift(held.model)}, without ${drift(free.model)}`);
  tidy(() => {
    const a = new Map(again.model.namedParameters());
    for (const [name, w] of held.model.namedParameters()) assert.equal(w.sub(a.get(name)!).abs().max().item(), 0, `${name}: not deterministic`);
    for (const [name, w] of model.namedParameters()) assert.equal(w.sub(before.get(name)!).abs().max().item(), 0, `${name}: input modified`);
  });
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ sa: { replayPerClass: 2, fimPerClass: 3 } }, /fimPerClass \(3\) cannot exceed replayPerClass \(2\)/],
    [{ sa: { replaySteps: 51 } }, /replaySteps must be an integer from 1 to the schedule's 50 steps, got 51/],
    [{ sa: { ewcWeight: -1 } }, /ewcWeight must be a finite number ≥ 0/],
    [{ sa: { lambda: 1 } }, /sa: unknown option 'lambda'/],
    [{ condDrop: 0.1 }, /condDrop drops conditioning in the losses, which sa does not/],
  ];
  for (const [extra, message] of bad) await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'sa', forgetClass: 0, iterations: 1, ...extra } as never), message);
  await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'ft', forgetClass: 0, sa: { ewcWeight: 1 } }), /sa applies to sa only; leave it out for ft/);
  for (const m of [free.model, held.model, again.model, model]) m.dispose();
  for (const t of before.values()) t.dispose();
  disposeGradients(fisher);
  x.dispose();
  replay.dispose();
  data.dispose();
  assert.deepEqual(memory(), base);
});

test('SA passes once: prepareSelectiveAmnesia → saveSaFile → loadSaFile gives the very run that computes them itself', async () => {
  const base = baselineMemory();
  manualSeed(0);
  const model = new UNet('tiny');
  const data = syntheticDataset({ n: 36, classes: 3, size: 8, seed: 1 });
  const schedule = new NoiseSchedule({ timesteps: 20 });
  const passes = { replayPerClass: 3, fimPerClass: 1, replaySteps: 4, replayEta: 0, fimChunk: 10 };
  const run = { method: 'sa', forgetClass: 2, iterations: 3, batchSize: 2, lr: 1e-2, seed: 6 } as const;
  const own = await unlearnDiffusion(model, schedule, data, { ...run, sa: { ...passes, ewcWeight: 3 } });
  const dir = mkdtempSync(join(tmpdir(), 'lethe-sa-'));
  try {
    const prepared = await prepareSelectiveAmnesia(model, schedule, passes, { seed: 6 });
    saveSaFile(join(dir, 'sa.safetensors'), prepared, { seed: 6, model: 'abc' });
    disposeSaPrepared(prepared);
    const file = loadSaFile(model, join(dir, 'sa.safetensors'));
    assert.deepEqual([file.seed, file.model, file.replay.size], [6, 'abc', 9]);
    const reused = await unlearnDiffusion(model, schedule, data, { ...run, sa: { ewcWeight: 3 }, saPrepared: file });
    assert.deepEqual(reused.result.sa, own.result.sa);
    tidy(() => {
      const a = new Map(reused.model.namedParameters());
      for (const [name, w] of own.model.namedParameters()) assert.equal(w.sub(a.get(name)!).abs().max().item(), 0, `${name} differs`);
    });
    // the file fixes the passes' settings; another method takes none of it
    await assert.rejects(unlearnDiffusion(model, schedule, data, { ...run, sa: { replayPerClass: 5 }, saPrepared: file }), /sa\.replayPerClass is fixed by the precomputed replay set/);
    await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'ft', forgetClass: 0, saPrepared: file }), /saPrepared applies to sa only/);
    disposeSaPrepared(file);
    reused.model.dispose();
    // a file of another kind, or for another UNet, is refused by name
    const other = new UNet({ preset: 'tiny', numClasses: 4 });
    assert.throws(() => loadSaFile(other, join(dir, 'sa.safetensors')), /has bad replay labels|has no Fisher information/);
    other.dispose();
    assert.throws(() => loadSaFile(model, join(dir, 'none.safetensors')), /SA file '.*none\.safetensors' does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  own.model.dispose();
  model.dispose();
  data.dispose();
  assert.deepEqual(memory(), base);
});
