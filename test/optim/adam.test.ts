// Adam and AdamW against hand-computed first steps and against torch.optim (reference-values.ts), bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, memory, type Tensor } from '../../src/index.js';
import { Adam, AdamW, type AdamOptions } from '../../src/optim/index.js';
import { TORCH } from './reference-values.js';
import { runLikeTorch, setGrad } from './harness.js';
import { baselineMemory } from '../baseline.js';

const adam = (o: Partial<AdamOptions>) => (ps: [Tensor, Tensor]) => new Adam(ps, o);
const adamw = (o: Partial<AdamOptions>) => (ps: [Tensor, Tensor]) => new AdamW(ps, o);

test("Adam's first step moves each entry by lr·g/(|g| + eps) (bias correction cancels)", () => {
  const p = tensor([1, -1, 0.5], { dtype: 'float64', requiresGrad: true });
  const opt = new Adam([p], { lr: 0.1, eps: 1e-8 });
  setGrad(p, [0.3, -2, 1e-9]);
  opt.step();
  // m̂ = g, v̂ = g², so the update is lr·g/(|g| + eps).
  const expected = [1 - 0.1 * (0.3 / (0.3 + 1e-8)), -1 + 0.1 * (2 / (2 + 1e-8)), 0.5 - 0.1 * (1e-9 / (1e-9 + 1e-8))];
  (p.toArray() as number[]).forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-15, `entry ${i}: ${v} vs ${expected[i]}`));
  opt.dispose();
  p.dispose();
});

test('Adam second step by hand: m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g², bias-corrected', () => {
  const p = tensor([2], { dtype: 'float64', requiresGrad: true });
  const opt = new Adam([p], { lr: 0.01, betas: [0.5, 0.75], eps: 0 });
  setGrad(p, [1]);
  opt.step(); // p = 2 - 0.01
  setGrad(p, [3]);
  opt.step();
  const m = 0.5 * 0.5 + 0.5 * 3; // 1.75
  const v = 0.75 * 0.25 + 0.25 * 9; // 2.4375
  const update = (0.01 / (1 - 0.25)) * (m / (Math.sqrt(v) / Math.sqrt(1 - 0.5625)));
  assert.ok(Math.abs((p.toArray() as number[])[0]! - (1.99 - update)) < 1e-15);
  const st = opt.stateOfParam(p)!;
  assert.equal(st.get('exp_avg')!.item(), m);
  assert.equal(st.get('exp_avg_sq')!.item(), v);
  opt.dispose();
  p.dispose();
});

test('Adam (default, L2 weight decay + amsgrad, maximize with a skipped grad) equals PyTorch bit for bit', () => {
  assert.deepEqual(runLikeTorch(adam({ lr: 0.01 })), TORCH['adam_default']);
  assert.deepEqual(runLikeTorch(adam({ lr: 0.01, betas: [0.8, 0.99], weightDecay: 0.1, amsgrad: true })), TORCH['adam_wd_amsgrad']);
  assert.deepEqual(runLikeTorch(adam({ lr: 0.05, maximize: true }), { steps: 6, skip1: [2] }), TORCH['adam_maximize_skip']);
});

test('AdamW (decoupled decay, amsgrad, eps) equals PyTorch bit for bit', () => {
  assert.deepEqual(runLikeTorch(adamw({ lr: 0.01, weightDecay: 0.1 })), TORCH['adamw_wd']);
  assert.deepEqual(runLikeTorch(adamw({ lr: 0.02, weightDecay: 0.05, eps: 1e-6, amsgrad: true })), TORCH['adamw_amsgrad_eps']);
});

test('AdamW decays decoupled: with a zero gradient only p *= 1 - lr·wd happens', () => {
  const p = tensor([4], { dtype: 'float64', requiresGrad: true });
  const opt = new AdamW([p], { lr: 0.1 }); // PyTorch's default weightDecay 0.01
  assert.equal(opt.paramGroups[0]!.weightDecay, 0.01);
  setGrad(p, [0]);
  opt.step();
  assert.deepEqual(p.toArray(), [4 * (1 - 0.1 * 0.01)]);
  opt.dispose();
  p.dispose();
});

test('bad Adam options give clear errors; state is freed by dispose()', () => {
  const p = tensor([1.5], { dtype: 'float64', requiresGrad: true });
  assert.throws(() => new Adam([p], { betas: [0.9, 1] }), /betas must be two numbers in \[0, 1\)/);
  assert.throws(() => new Adam([p], { eps: -1 }), /eps must be a finite number >= 0/);
  const before = baselineMemory();
  const opt = new Adam([p], { amsgrad: true });
  setGrad(p, [1]);
  opt.step();
  assert.equal(memory().numTensors, before.numTensors + 3);
  opt.dispose();
  assert.deepEqual(memory(), before);
  p.dispose();
});
