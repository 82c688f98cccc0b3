// salun-soft: random labelling plus the l1-proximal soft threshold of Δθ after every step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { unlearn } from '../../src/unlearn/index.js';
import { frozenCount, proximalStep, referenceStepsBefore } from '../../src/unlearn/methods/salun-soft.js';
import { keep, tensor, tidy } from '../../src/torch/index.js';
import { accuracies, assertMemory, assertUnchanged, flatParams, makeFixture, snapshot, type Fixture } from './methods-fixture.js';
import { baselineMemory } from '../baseline.js';

let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(() => f.dispose());

test('frozenCount: floor(ratio · (T − (s + 1)) / T · n)', () => {
  assert.equal(frozenCount(0.5, 10, 0, 100), 45);
  assert.equal(frozenCount(0.5, 10, 5, 100), 20);
  assert.equal(frozenCount(0.5, 8, 0, 4420), 1933); // 0.5 · 7/8 · 4420 = 1933.75
  assert.equal(frozenCount(0.5, 10, 9, 100), 0);
  assert.equal(frozenCount(0, 10, 0, 100), 0);
});

test('proximalStep: soft threshold at the r-th smallest |θ − anchor| (hand-computed)', () => {
  const base = baselineMemory();
  const a = keep(tensor([[1.5, 0.8], [1.1, 0.95]]));
  const b = keep(tensor([1.3, 1, 0.6]));
  const anchor = keep(tensor([1, 1, 1, 1, 1, 1, 1]));
  // Δθ = [0.5, −0.2, 0.1, −0.05, 0.3, 0, −0.4]; sorted |Δθ| = 0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5 → τ(r = 3) = 0.1
  const tau = proximalStep([a, b], anchor, 3);
  assert.ok(Math.abs(tau - 0.1) < 1e-6, `τ = ${tau}`);
  const got = [...(a.toTypedArray() as Float32Array), ...(b.toTypedArray() as Float32Array)];
  const want = [1.4, 0.9, 1, 1, 1.2, 1, 0.7];
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `entry ${i}: ${v} vs ${want[i]}`));
  // entries inside the threshold are reset to the anchor exactly
  assert.equal(got.filter((v) => v === 1).length, 3);
  assert.ok(Number.isNaN(proximalStep([a, b], anchor, 0)), 'r = 0 leaves θ alone');
  for (const t of [a, b, anchor]) t.dispose();
  assertMemory(base, 'proximalStep');
});

test('salun-soft after one epoch: at least r of the n entries sit exactly at the anchor (θ_o), the rest moved; RL-like forgetting', async () => {
  const snap = snapshot(f.original);
  const base = baselineMemory();
  const theta0 = flatParams(f.original);
  const r = await unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method: 'salun-soft', options: { epochs: 1, batchSize: 16 }, seed: 3 });
  const theta = flatParams(r.model);
  const n = theta.length;
  const steps = Math.ceil(24 / 16) + Math.ceil(96 / 16); // T of the reference's r formula: |forget loader| + |retain loader|
  const r0 = frozenCount(0.5, steps, 0, n);
  const frozen = theta.filter((v, i) => v === theta0[i]).length;
  // measured: 1933 of 4420 frozen, r0 = 1933
  assert.ok(frozen >= r0, `${frozen} entries frozen, the rule needs ≥ ${r0}`);
  assert.ok(frozen <= r0 + 5, `${frozen} entries frozen: the others moved (r0 = ${r0})`);
  r.model.dispose();
  assertUnchanged(f.original, snap, 'salun-soft');
  assertMemory(base, 'salun-soft');
});

test('referenceStepsBefore: held at the epoch start (mixed; sequential forget pass), + the retain step index (sequential)', () => {
  assert.equal(referenceStepsBefore('mixed', 16, 5, 2), 16);
  assert.equal(referenceStepsBefore('sequential', 16, 0, 2), 16);
  assert.equal(referenceStepsBefore('sequential', 16, 1, 2), 16);
  assert.equal(referenceStepsBefore('sequential', 16, 2, 2), 16, 'the first retain step: i = 0');
  assert.equal(referenceStepsBefore('sequential', 16, 7, 2), 21);
});

test('salun-soft sequential: r falls through the retain pass, so the last step holds r(i = last) entries at the anchor', async () => {
  const theta0 = flatParams(f.original);
  const r = await unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method: 'salun-soft', options: { epochs: 1, batchSize: 16, variant: 'sequential' }, seed: 3 });
  const theta = flatParams(r.model);
  const n = theta.length;
  const forgetSteps = Math.ceil(24 / 16);
  const retainSteps = Math.ceil(96 / 16);
  const rLast = frozenCount(0.5, forgetSteps + retainSteps, retainSteps - 1, n); // 0.5 · 2/8 · n, not the epoch start's 0.5 · 7/8 · n
  const frozen = theta.filter((v, i) => v === theta0[i]).length;
  assert.ok(frozen >= rLast && frozen <= rLast + 5, `${frozen} entries at the anchor, the last step's r is ${rLast}`);
  r.model.dispose();
});

test('salun-soft with maskRatio 0 is exactly rl (mixed variant); with the default it forgets D_f and keeps D_r', async () => {
  const snap = snapshot(f.original);
  const base = baselineMemory();
  const data = { forget: f.forget, retain: f.retain };
  const rl = await unlearn(f.original, f.spec, data, { method: 'rl', options: { batchSize: 16, lr: 0.013, variant: 'mixed' }, seed: 3 });
  const soft0 = await unlearn(f.original, f.spec, data, { method: 'salun-soft', options: { batchSize: 16, maskRatio: 0 }, seed: 3 });
  assert.deepEqual(flatParams(soft0.model), flatParams(rl.model));
  const soft = await unlearn(f.original, f.spec, data, { method: 'salun-soft', options: { batchSize: 16 }, seed: 3 });
  const seq = await unlearn(f.original, f.spec, data, { method: 'salun-soft', options: { batchSize: 16, variant: 'sequential', epochs: 3 }, seed: 3 });
  const a = accuracies(soft.model, f);
  // measured: forget 75.0, retain 100, test 51.0
  assert.ok(a.forget < 95, `salun-soft forget accuracy ${a.forget}`);
  assert.ok(a.retain >= 95, `salun-soft retain accuracy ${a.retain}`);
  assert.ok(accuracies(seq.model, f).retain >= 90, 'the sequential variant runs its schedule and keeps D_r');
  for (const m of [rl, soft0, soft, seq]) m.model.dispose();
  assertUnchanged(f.original, snap, 'salun-soft');
  assertMemory(base, 'salun-soft runs');
});

test('salun-soft composes with a saliency mask: non-salient entries stay exactly at θ_o', async () => {
  const base = baselineMemory();
  const theta0 = flatParams(f.original);
  const r = await unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method: 'salun-soft', options: { batchSize: 16, epochs: 2 }, mask: { ratio: 0.3 }, seed: 3 });
  const theta = flatParams(r.model);
  const frozen = theta.filter((v, i) => v === theta0[i]).length;
  assert.ok(frozen >= Math.ceil(0.7 * theta.length) - 1, `${frozen} of ${theta.length} unchanged; the mask freezes 70%`);
  tidy(() => r.model.dispose());
  assertMemory(base, 'salun-soft + mask');
});
