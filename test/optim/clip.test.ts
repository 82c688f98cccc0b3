// Gradient clipping against hand-computed norms and torch.nn.utils.clip_grad_norm_ (reference-values.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, memory, type Tensor } from '../../src/index.js';
import { clipGradNorm, clipGradValue } from '../../src/optim/index.js';
import { P0, P1, G0, G1, TORCH_CLIP } from './reference-values.js';
import { setGrad } from './harness.js';
import { baselineMemory } from '../baseline.js';

function withParams(fn: (ps: Tensor[]) => void): void {
  const ps = [tensor(P0, { dtype: 'float64', requiresGrad: true }), tensor(P1, { dtype: 'float64', requiresGrad: true }), tensor(1, { dtype: 'float64', requiresGrad: true })];
  setGrad(ps[0]!, G0[0]!);
  setGrad(ps[1]!, G1[0]!);
  setGrad(ps[2]!, -0.35);
  fn(ps);
  ps.forEach((p) => p.dispose());
}

const grads = (ps: Tensor[]) => ps.map((p) => {
  const g = p.grad!;
  const v = g.toArray();
  g.dispose();
  return v;
});

test('clipGradNorm: 2-norm by hand — 3-4-5 gradients scaled to maxNorm', () => {
  const p = tensor([0, 0], { dtype: 'float64', requiresGrad: true });
  setGrad(p, [3, 4]);
  const total = clipGradNorm([p], 1);
  assert.equal(total, 5);
  const coef = 1 / (5 + 1e-6);
  assert.deepEqual(grads([p]), [[3 * coef, 4 * coef]]);
  p.dispose();
});

for (const name of Object.keys(TORCH_CLIP)) {
  test(`clipGradNorm equals torch clip_grad_norm_ bit for bit: ${name}`, () => {
    const ref = TORCH_CLIP[name]!;
    const [maxNorm, normType] = { l2: [0.5, 2], inf: [0.1, Infinity], l1: [0.3, 1], noop: [10, 2], l3: [0.2, 3] }[name as 'l2']!;
    withParams((ps) => {
      const before = baselineMemory();
      assert.equal(clipGradNorm(ps, maxNorm!, normType), ref.total);
      assert.deepEqual(grads(ps), ref.grads);
      assert.deepEqual(memory(), before);
    });
  });
}

test('clipGradNorm: no gradients → 0; non-finite norm → error when asked', () => {
  const p = tensor([1.5], { dtype: 'float64', requiresGrad: true });
  assert.equal(clipGradNorm([p], 1), 0);
  setGrad(p, [Number.POSITIVE_INFINITY]);
  assert.throws(() => clipGradNorm(p, 1, 2, { errorIfNonfinite: true }), /total norm of order 2 of the gradients is Infinity/);
  p.dispose();
});

test('clipGradValue clamps each gradient entry to [-clip, clip]', () => {
  withParams((ps) => {
    clipGradValue(ps, 0.25);
    assert.deepEqual(grads(ps), [[[0.1, -0.2, 0.25], [-0.25, 0.25, 0.05]], [0.25, -0.05], -0.25]);
  });
  assert.throws(() => clipGradValue([], -1), /clip must be a number >= 0/);
});
