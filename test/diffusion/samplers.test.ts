// One DDPM and one DDIM step against hand-computed updates (fixed noise, stub predictions), the DDIM timestep
// sequence, and whole sampling runs with the tiny UNet (shapes, range, determinism, memory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, memory, randn, tidy } from '../../src/index.js';
import { NoiseSchedule, ddpmStep, ddimStep, ddimTimesteps, sampleImages, UNet } from '../../src/diffusion/index.js';
import { constantStub, px } from './helpers.js';
import { baselineMemory } from '../baseline.js';

const S = new NoiseSchedule({ timesteps: 3, betaStart: 0.1, betaEnd: 0.3 }); // ᾱ = 0.9, 0.72, 0.504

function assertRow(t: import('../../src/index.js').Tensor, want: number[], tol = 1e-6): void {
  const got = t.flatten().toArray() as number[];
  assert.equal(got.length, want.length);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= tol * (1 + Math.abs(want[i]!)), `element ${i}: ${v} vs ${want[i]}`));
}

test('DDPM step: (x − β/√(1−ᾱ)·ε̂)/√α + √β̃·z, no noise at t = 0', () => {
  tidy(() => {
    const x = px([[0.5, -1]]);
    const eps = px([[0.2, 0.4]]);
    const z = px([[1, -1]]);
    // t = 2: β = 0.3, α = 0.7, ᾱ = 0.504, ᾱ_prev = 0.72, β̃ = 0.3·0.28/0.496
    assertRow(ddpmStep(S, x, 2, eps, z), [0.907315115548428, -1.8104093252015838]);
    const m = (v: number, e: number) => (v - (0.3 / Math.sqrt(0.496)) * e) / Math.sqrt(0.7);
    assertRow(ddpmStep(S, x, 2, eps, z, 'beta'), [m(0.5, 0.2) + Math.sqrt(0.3), m(-1, 0.4) - Math.sqrt(0.3)]);
    assertRow(ddpmStep(S, x, 0, eps, null), [0.4603796100280632, -1.1874258867227931]);
    assert.throws(() => ddpmStep(S, x, 1, eps, null), /noise z is required/);
  });
});

test('DDIM step: √ᾱ_prev·x̂_0 + √(1−ᾱ_prev−σ²)·ε̂ + σ·z, σ = η√((1−ᾱ_prev)/(1−ᾱ_t))√(1−ᾱ_t/ᾱ_prev)', () => {
  tidy(() => {
    const x = px([[0.5, -1]]);
    const eps = px([[0.2, 0.4]]);
    const z = px([[1, -1]]);
    // t = 2 → 0, η = 0.5: σ = 0.14892084929531765
    assertRow(ddimStep(S, x, 2, 0, eps, z, { eta: 0.5 }), [0.6846425621436218, -1.7500898427229532]);
    // η = 0 is deterministic and needs no noise
    const x0 = [(0.5 - Math.sqrt(0.496) * 0.2) / Math.sqrt(0.504), (-1 - Math.sqrt(0.496) * 0.4) / Math.sqrt(0.504)];
    assertRow(ddimStep(S, x, 2, 0, eps, null, { eta: 0 }), x0.map((v, i) => Math.sqrt(0.9) * v + Math.sqrt(0.1) * [0.2, 0.4][i]!));
    // the last step (to t = −1, ᾱ = 1) returns x̂_0; clipping clamps it to [−1, 1]
    assertRow(ddimStep(S, x, 0, -1, eps, z, { eta: 1 }), [0.46037961002806327, -1.1874258867227931]);
    assertRow(ddimStep(S, x, 0, -1, eps, z, { eta: 1, clipX0: true }), [0.46037961002806327, -1]);
    assert.throws(() => ddimStep(S, x, 1, 2, eps, z, { eta: 0 }), /must be smaller than t/);
  });
});

test('DDIM timesteps: 0, k, 2k, … with k = ⌊T/steps⌋', () => {
  assert.deepEqual(ddimTimesteps(1000, 4), [0, 250, 500, 750]);
  assert.deepEqual(ddimTimesteps(10, 3), [0, 3, 6, 9]); // the reference's range(0, T, skip) keeps the extra step
  assert.equal(ddimTimesteps(1000, 1000).length, 1000);
  assert.throws(() => ddimTimesteps(10, 11), /steps must be an integer in \[1, 10\]/);
});

test('sampleImages with a constant predictor and η = 0 follows the hand-iterated DDIM recursion', async () => {
  // ε̂ = y + 1 = 1 for class 0; start from x_T drawn with seed 5.
  const stub = Object.assign(constantStub(2), { config: { inChannels: 1, imageSize: 2 }, training: false, train: () => undefined });
  const s = new NoiseSchedule({ timesteps: 10 });
  const out = await sampleImages(stub, s, [0], { steps: 5, eta: 0, guidance: 0, clipX0: false, seed: 5 });
  manualSeed(5);
  const x = tidy(() => randn([1, 1, 2, 2]).flatten().toArray() as number[]);
  const seq = [0, 2, 4, 6, 8];
  let v = x.slice();
  for (let i = seq.length - 1; i >= 0; i--) {
    const ab = s.alphaBars[seq[i]!]!;
    const abPrev = i > 0 ? s.alphaBars[seq[i - 1]!]! : 1;
    v = v.map((xi) => Math.sqrt(abPrev) * ((xi - Math.sqrt(1 - ab)) / Math.sqrt(ab)) + Math.sqrt(1 - abPrev));
  }
  tidy(() => assertRow(out, v.map((e) => Math.max(-1, Math.min(1, e))), 1e-5));
  out.dispose();
});

test('sampleImages with the tiny UNet: shape, range, batching, seeded determinism, memory', async () => {
  manualSeed(0);
  const m = new UNet('tiny');
  const s = new NoiseSchedule({ timesteps: 20 });
  const base = baselineMemory();
  const a = await sampleImages(m, s, [0, 1, 2, 1, 0], { steps: 4, batchSize: 2, seed: 9 });
  const b = await sampleImages(m, s, [0, 1, 2, 1, 0], { steps: 4, batchSize: 5, seed: 9 });
  const d = await sampleImages(m, s, [2, 0], { sampler: 'ddpm', seed: 1 });
  tidy(() => {
    assert.deepEqual(a.shape, [5, 1, 8, 8]);
    assert.ok(a.abs().max().item() <= 1);
    assert.deepEqual(b.shape, [5, 1, 8, 8]);
    assert.deepEqual(d.shape, [2, 1, 8, 8]);
  });
  const a2 = await sampleImages(m, s, [0, 1, 2, 1, 0], { steps: 4, batchSize: 2, seed: 9 });
  tidy(() => assert.equal(a.sub(a2).abs().max().item(), 0));
  for (const t of [a, b, d, a2]) t.dispose();
  assert.equal(m.training, true, 'train mode restored');
  await assert.rejects(sampleImages(m, s, [3], {}), /label 3 at position 0 is not a class in \[0, 3\)/);
  // a misspelt choice would take another branch ('DDPM' ran DDIM over all T steps), NaN guidance gives NaN images
  await assert.rejects(sampleImages(m, s, [0], { sampler: 'DDPM' as 'ddpm' }), /sampleImages: sampler must be 'ddim' or 'ddpm', got 'DDPM'/);
  await assert.rejects(sampleImages(m, s, [0], { sampler: 'ddpm', variance: 'bta' as 'beta' }), /sampleImages: variance must be 'posterior' or 'beta', got 'bta'/);
  await assert.rejects(sampleImages(m, s, [0], { guidance: Number.NaN }), /sampleImages: guidance must be a finite weight, got NaN/);
  await assert.rejects(sampleImages(m, s, [0], { eta: -1 }), /sampleImages: eta must be a finite number ≥ 0, got -1/);
  await assert.rejects(sampleImages(m, s, [0], { step: 4 } as never), /sampleImages: unknown option 'step'; the options are sampler, steps/);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(sampleImages(m, s, [0], { steps: 4, signal: ac.signal }), /abort/i);
  assert.deepEqual(memory(), base);
  m.dispose();
});
