// l1-sparse (FT with a decaying l1 penalty) and scrub (teacher–student max/min distillation).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { unlearn } from '../../src/unlearn/index.js';
import { l1Weight } from '../../src/unlearn/methods/l1sparse.js';
import { distillKL, scrubLr } from '../../src/unlearn/methods/scrub.js';
import type { Module } from '../../src/nn/module.js';
import { tensor, tidy } from '../../src/torch/index.js';
import { accuracies, assertMemory, assertUnchanged, flatParams, makeFixture, snapshot, type Fixture } from './methods-fixture.js';
import { baselineMemory } from '../baseline.js';

let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(() => f.dispose());

/** Percent of parameter entries with |θ| < eps. */
function nearZeroShare(model: Module, eps: number): number {
  const v = flatParams(model);
  return (100 * v.filter((x) => Math.abs(x) < eps).length) / v.length;
}

test('l1Weight: α·(1 − e/(E − noL1Epochs)), then 0', () => {
  assert.equal(l1Weight(1e-4, 0, 10, 0), 1e-4);
  assert.equal(l1Weight(1e-4, 5, 10, 0), 5e-5);
  assert.equal(l1Weight(1e-4, 4, 10, 2), 1e-4 * (1 - 4 / 8));
  assert.equal(l1Weight(1e-4, 8, 10, 2), 0);
  assert.equal(l1Weight(1e-4, 9, 10, 2), 0);
});

test('l1-sparse: with alpha 0 it is exactly FT; with alpha > 0 many more weights end near zero than after FT', async () => {
  const snap = snapshot(f.original);
  const base = baselineMemory();
  const data = { forget: f.forget, retain: f.retain };
  const ft = await unlearn(f.original, f.spec, data, { method: 'ft', options: { batchSize: 16 }, seed: 3 });
  const zero = await unlearn(f.original, f.spec, data, { method: 'l1-sparse', options: { batchSize: 16, alpha: 0 }, seed: 3 });
  assert.deepEqual(flatParams(zero.model), flatParams(ft.model));
  const l1 = await unlearn(f.original, f.spec, data, { method: 'l1-sparse', options: { batchSize: 16, alpha: 5e-3 }, seed: 3 });
  const shareFt = nearZeroShare(ft.model, 1e-3);
  const shareL1 = nearZeroShare(l1.model, 1e-3);
  const norm = (m: Module) => flatParams(m).reduce((s, x) => s + Math.abs(x), 0);
  // measured: |θ| < 1e-3 for 0.48% of the entries after FT, 9.68% after l1-sparse; ‖θ‖₁ 495 → 431
  assert.ok(shareL1 > 3 * shareFt + 1, `near-zero share: l1-sparse ${shareL1.toFixed(2)}% vs ft ${shareFt.toFixed(2)}%`);
  assert.ok(norm(l1.model) < 0.95 * norm(ft.model), 'the l1 norm shrinks');
  assert.equal(accuracies(l1.model, f).retain, 100, 'retain accuracy is kept');
  for (const r of [ft, zero, l1]) r.model.dispose();
  assertUnchanged(f.original, snap, 'l1-sparse');
  assertMemory(base, 'l1-sparse');
});

test('distillKL: KL(softmax(t/T) ‖ softmax(s/T))·T² averaged over the batch (hand-computed)', () => {
  const base = baselineMemory();
  const s = [[1, 2, 3], [0, 0, 1]];
  const t = [[3, 2, 1], [1, 0, 0]];
  const T = 2;
  const softmax = (v: number[]) => {
    const e = v.map((x) => Math.exp(x / T));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / z);
  };
  let expected = 0;
  for (let i = 0; i < 2; i++) {
    const ps = softmax(s[i]!);
    const pt = softmax(t[i]!);
    expected += pt.reduce((acc, p, k) => acc + p * (Math.log(p) - Math.log(ps[k]!)), 0);
  }
  expected = (expected * T * T) / 2;
  const got = tidy(() => distillKL(tensor(s), tensor(t), T).item());
  assert.ok(Math.abs(got - expected) < 1e-6, `${got} vs ${expected}`);
  assert.ok(Math.abs(tidy(() => distillKL(tensor(s), tensor(s), T).item())) < 1e-6, 'KL of a distribution with itself is 0 (float32)');
  assertMemory(base, 'distillKL');
});

test('scrubLr: repdistiller adjust_learning_rate (×rate per milestone strictly below the 1-based epoch)', () => {
  const m = [5, 8, 9];
  assert.equal(scrubLr(5e-4, 1, m, 0.1), 5e-4);
  assert.equal(scrubLr(5e-4, 5, m, 0.1), 5e-4);
  assert.equal(scrubLr(5e-4, 6, m, 0.1), 5e-4 * 0.1);
  assert.equal(scrubLr(5e-4, 9, m, 0.1), 5e-4 * 0.1 ** 2);
  assert.equal(scrubLr(5e-4, 10, m, 0.1), 5e-4 * 0.1 ** 3);
});

test('scrub: the max steps lower the forget accuracy while the min steps keep the retain accuracy', async () => {
  const snap = snapshot(f.original);
  const base = baselineMemory();
  const data = { forget: f.forget, retain: f.retain };
  const r = await unlearn(f.original, f.spec, data, { method: 'scrub', options: { lr: 0.01 }, seed: 3 });
  const a = accuracies(r.model, f);
  // without max steps SCRUB is distillation on D_r only: D_f stays memorised
  const noMax = await unlearn(f.original, f.spec, data, { method: 'scrub', options: { lr: 0.01, msteps: 0 }, seed: 3 });
  const b = accuracies(noMax.model, f);
  // measured: forget 54.2, retain 100, test 57.7 (msteps 0: forget 100)
  assert.ok(a.forget < 80, `scrub forget accuracy ${a.forget}`);
  assert.ok(a.retain >= 95, `scrub retain accuracy ${a.retain}`);
  assert.ok(b.forget > a.forget + 15, `msteps 0 forget accuracy ${b.forget} vs ${a.forget}`);
  assert.equal(f.original.training, true, 'the teacher\u2019s train/eval mode is restored');
  r.model.dispose();
  noMax.model.dispose();
  assertUnchanged(f.original, snap, 'scrub');
  assertMemory(base, 'scrub');
});
