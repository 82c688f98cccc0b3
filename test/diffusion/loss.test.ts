// Schedule, losses and guidance, against hand computations with stub noise predictors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, memory, scalar, tensor, tidy, autograd } from '../../src/index.js';
import { NoiseSchedule, noiseLoss, diffusionLoss, guide, guidedPrediction, dropConditioning, forgetLoss } from '../../src/diffusion/index.js';
import { constantStub, labelScaledStub, px } from './helpers.js';
import { baselineMemory } from '../baseline.js';

const close = (a: number, b: number, tol = 1e-5, what = 'value'): void => assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${what}: ${a} vs ${b}`);

test('the linear schedule: β from 1e-4 to 0.02, ᾱ the running product', () => {
  const s = new NoiseSchedule();
  assert.equal(s.timesteps, 1000);
  close(s.betas[0]!, 1e-4, 1e-12);
  close(s.betas[999]!, 0.02, 1e-12);
  close(s.betas[1]! - s.betas[0]!, (0.02 - 1e-4) / 999, 1e-9);
  const small = new NoiseSchedule({ timesteps: 3, betaStart: 0.1, betaEnd: 0.3 });
  assert.deepEqual(Array.from(small.alphaBars, (v) => Number(v.toFixed(12))), [0.9, 0.72, 0.504]);
  assert.equal(small.alphaBar(-1), 1);
  assert.throws(() => small.alphaBar(3), /timestep 3 is out of range \[0, 3\)/);
  assert.throws(() => new NoiseSchedule({ timesteps: 0 }), /positive integer/);
});

test('qSample: x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε per sample', () => {
  const s = new NoiseSchedule({ timesteps: 3, betaStart: 0.1, betaEnd: 0.3 });
  tidy(() => {
    const xt = s.qSample(px([[1], [-1]]), [1, 2], px([[0.5], [2]])).toArray() as number[][][][];
    close(xt[0]![0]![0]![0]!, 1.1131032685303162);
    close(xt[1]![0]![0]![0]!, 0.6986157749607668);
  });
});

test('noiseLoss sums squared errors over the pixels of a sample and averages over the batch', () => {
  tidy(() => {
    // sample 0: (0.5−1)² + (2−2)² = 0.25; sample 1: (3−3)² + (2−4)² = 4; mean 2.125
    assert.equal(noiseLoss(px([[1, 2], [3, 4]]), px([[0.5, 2], [3, 2]])).item(), 2.125);
    assert.throws(() => noiseLoss(px([[1, 2]]), px([[1]])), /same shape/);
  });
});

test('diffusionLoss at fixed t and ε equals the hand-computed loss (no conditioning dropout)', () => {
  const s = new NoiseSchedule({ timesteps: 3, betaStart: 0.1, betaEnd: 0.3 });
  const stub = labelScaledStub(5);
  tidy(() => {
    const loss = diffusionLoss(stub, s, px([[1], [-1]]), tensor([0, 1]), { condDrop: 0, timesteps: [1, 2], noise: px([[0.5], [2]]) }).item();
    const xt0 = Math.sqrt(0.72) + Math.sqrt(0.28) * 0.5;
    const xt1 = -Math.sqrt(0.504) + Math.sqrt(0.496) * 2;
    const e0 = 0.5 * xt0 * 1; // y = 0
    const e1 = 0.5 * xt1 * 2; // y = 1
    close(loss, ((e0 - 0.5) ** 2 + (e1 - 2) ** 2) / 2);
    close(loss, 0.848408, 1e-5);
  });
  assert.deepEqual(stub.calls, [[0, 1]]);
});

test('guidance: (1 + w)·ε(x, c) − w·ε(x, ∅), both halves in one batched pass', () => {
  tidy(() => {
    assert.deepEqual(guide(tensor([1, 2]), tensor([3, -1]), 2).toArray(), [-3, 8]);
    const stub = labelScaledStub(5, 1);
    // ε(x, y) = x·(y+1) with x = 1: cond = [1, 2], uncond = 6 → 3·cond − 2·6
    const out = guidedPrediction(stub, px([[1], [1]]), tensor([0, 0]), tensor([0, 1]), 2);
    assert.deepEqual(out.flatten().toArray(), [-9, -6]);
    assert.deepEqual(stub.calls, [[0, 1, 5, 5]]);
    // w = 0: a single conditional pass
    assert.deepEqual(guidedPrediction(stub, px([[1]]), tensor([0]), tensor([2]), 0).flatten().toArray(), [3]);
    assert.equal(stub.calls.length, 2);
  });
});

test('antithetic timesteps: ⌊n/2⌋+1 uniform draws, then T−1−t for each, first n kept; seeded', () => {
  const s = new NoiseSchedule({ timesteps: 1000 });
  manualSeed(3);
  const a = s.antitheticTimesteps(7);
  manualSeed(3);
  const b = s.antitheticTimesteps(7);
  assert.deepEqual(a, b);
  assert.equal(a.length, 7);
  for (let i = 0; i < 3; i++) assert.equal(a[4 + i], 999 - a[i]!);
  for (const t of a) assert.ok(t >= 0 && t < 1000);
  const big = s.antitheticTimesteps(2000);
  let mean = 0;
  for (const t of big) mean += t / big.length;
  close(mean, 499.5, 0.01); // pairs sum to 999 exactly (plus one unpaired draw)
  assert.equal(s.antitheticTimesteps(1).length, 1);
});

test('conditioning dropout replaces a label by the null class with probability p', () => {
  const base = baselineMemory();
  tidy(() => {
    const y = tensor(new Array(20000).fill(3));
    assert.equal(dropConditioning(y, 10, 0).eq(3).sum().item(), 20000);
    assert.equal(dropConditioning(y, 10, 1).eq(10).sum().item(), 20000);
    manualSeed(0);
    const dropped = dropConditioning(y, 10, 0.1).eq(10).sum().item() / 20000;
    assert.ok(Math.abs(dropped - 0.1) < 0.01, `dropped ${dropped}`);
    assert.throws(() => dropConditioning(y, 10, 1.5), /must be in \[0, 1\]/);
  });
  assert.deepEqual(memory(), base);
});

test("SalUn's forget loss: MSE(ε(x_t, c), stopgrad ε(x_t, (c+1) mod C)), gradient only through the first", () => {
  const s = new NoiseSchedule({ timesteps: 3, betaStart: 0.1, betaEnd: 0.3 });
  const a = scalar(1.5, { requiresGrad: true });
  const stub = labelScaledStub(3, 1, a); // ε = a·x·(y+1)
  tidy(() => {
    const x0 = px([[1, 0.5]]);
    const noise = px([[0.2, -0.4]]);
    const loss = forgetLoss(stub, s, x0, tensor([2]), { numClasses: 3, condDrop: 0, timesteps: [1], noise });
    // c = 2 → c′ = 0: out = a·x_t·3, target = a·x_t·1 (detached)
    const xt = [Math.sqrt(0.72) * 1 + Math.sqrt(0.28) * 0.2, Math.sqrt(0.72) * 0.5 - Math.sqrt(0.28) * 0.4];
    const want = xt.reduce((acc, v) => acc + (1.5 * 3 * v - 1.5 * v) ** 2, 0) / 2;
    close(loss.item(), want);
    // d/da: only the first prediction carries the graph: mean of 2·(3a·x − a·x)·3x
    const [g] = autograd.grad(loss, [a]);
    close(g!.item(), xt.reduce((acc, v) => acc + 2 * (3 * 1.5 * v - 1.5 * v) * 3 * v, 0) / 2);
  });
  assert.deepEqual(stub.calls, [[2], [0]]);
  a.dispose();
});

test('a constant predictor has loss ‖ε − (y+1)‖² whatever x_t is', () => {
  const s = new NoiseSchedule({ timesteps: 10 });
  tidy(() => {
    const l = diffusionLoss(constantStub(4), s, px([[0.3, 0.1, -0.2]]), tensor([1]), { condDrop: 0, noise: px([[0, 1, 2]]) }).item();
    close(l, 4 + 1 + 0);
  });
});
