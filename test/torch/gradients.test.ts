// Gradients of a dozen ops against central finite differences (float64), and the autograd API itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  autograd, batchNorm, binaryCrossEntropyWithLogits, conv2d, crossEntropy, enableGrad, groupNorm, interpolate, isGradEnabled,
  layerNorm, linalg, logSoftmax, manualSeed, maxPool2d, memory, noGrad, noGradGuard, ones, randn, softmax, tensor, tidy, where, zeros,
  type Tensor,
} from '../../src/index.js';
import { gradcheck } from './gradcheck.js';
import { assertClose } from './helpers.js';
import { baselineMemory } from '../baseline.js';

const f64 = { dtype: 'float64' } as const;

test('gradcheck itself catches a wrong gradient', () => {
  // x² + x·(x - x.detach()) has the value x² but the autograd gradient 3x (the detached term is a constant):
  // finite differences see 2x, so the checker must fail on it.
  tidy(() => {
    manualSeed(1);
    const x = randn([5], f64);
    assert.throws(() => gradcheck((a) => a.mul(a).add(a.mul(a.sub(a.detach()))), [x]), /gradcheck: input 0/);
  });
});

test('conv2d: input, weight and bias gradients (stride, padding, groups)', () => {
  tidy(() => {
    manualSeed(2);
    const x = randn([2, 4, 5, 5], f64);
    const w = randn([6, 2, 3, 3], f64);
    const b = randn([6], f64);
    gradcheck((x_, w_, b_) => conv2d(x_, w_, b_, { stride: 2, padding: 1, groups: 2 }), [x, w, b]);
  });
});

test('batchNorm in training mode (batch statistics), with affine parameters and running stats', () => {
  tidy(() => {
    manualSeed(3);
    const x = randn([4, 3, 2, 2], f64);
    const gamma = randn([3], f64);
    const beta = randn([3], f64);
    const rm = zeros([3], f64);
    const rv = ones([3], f64);
    gradcheck((x_, g_, b_) => batchNorm(x_, rm, rv, { weight: g_, bias: b_, training: true }), [x, gamma, beta]);
  });
});

test('crossEntropy: class indices, label smoothing, class weights, probability targets', () => {
  tidy(() => {
    manualSeed(4);
    const logits = randn([5, 4], f64);
    const y = tensor([0, 3, 1, 1, 2]);
    gradcheck((l) => crossEntropy(l, y), [logits]);
    gradcheck((l) => crossEntropy(l, y, { labelSmoothing: 0.2, reduction: 'sum' }), [logits]);
    gradcheck((l) => crossEntropy(l, y, { weight: tensor([1, 2, 0.5, 1], f64), reduction: 'none' }), [logits]);
    const p = softmax(randn([5, 4], f64), 1);
    gradcheck((l, q) => crossEntropy(l, q), [logits, p]);
  });
});

test('matmul (batched broadcast) and mm', () => {
  tidy(() => {
    manualSeed(5);
    gradcheck((a, b) => a.matmul(b), [randn([2, 3, 4], f64), randn([4, 2], f64)]);
    gradcheck((a, b) => a.mm(b), [randn([3, 3], f64), randn([3, 2], f64)]);
  });
});

test('svd: sum of singular values (nuclear norm) and a function of U and Vh', () => {
  tidy(() => {
    manualSeed(6);
    const a = randn([4, 3], f64);
    gradcheck((m) => linalg.svd(m).S.sum(), [a]);
    gradcheck((m) => linalg.svdvals(m).pow(2), [a]);
    // U diag(S) Vh reconstructs A, so its gradient must be the identity map; this exercises the U and Vh paths.
    gradcheck((m) => {
      const { U, S, Vh } = linalg.svd(m);
      return U.mul(S.unsqueeze(0)).matmul(Vh);
    }, [a]);
  });
});

test('logSoftmax and softmax', () => {
  tidy(() => {
    manualSeed(7);
    gradcheck((x) => logSoftmax(x, 1), [randn([3, 5], f64)]);
    gradcheck((x) => softmax(x, 0), [randn([3, 5], f64)]);
  });
});

test('groupNorm and layerNorm with affine parameters', () => {
  tidy(() => {
    manualSeed(8);
    gradcheck((x, w, b) => groupNorm(x, 2, w, b), [randn([2, 4, 3, 1], f64), randn([4], f64), randn([4], f64)]);
    gradcheck((x, w, b) => layerNorm(x, [3, 2], w, b), [randn([2, 3, 2], f64), randn([3, 2], f64), randn([3, 2], f64)]);
  });
});

test('maxPool2d (with padding and stride) and interpolate bilinear', () => {
  tidy(() => {
    manualSeed(9);
    gradcheck((x) => maxPool2d(x, 3, { stride: 2, padding: 1 }), [randn([1, 2, 5, 5], f64)]);
    gradcheck((x) => interpolate(x, { size: [5, 7], mode: 'bilinear' }), [randn([1, 2, 3, 4], f64)]);
    gradcheck((x) => interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: true }), [randn([1, 1, 3, 3], f64)]);
  });
});

test('pow, exp, log, sqrt, sigmoid, tanh, tensor ** tensor', () => {
  tidy(() => {
    manualSeed(10);
    const pos = randn([6], f64).abs().add(0.5);
    gradcheck((x) => x.pow(3).add(x.exp()).add(x.log()).add(x.sqrt()), [pos]);
    gradcheck((x) => x.sigmoid().mul(x.tanh()), [randn([6], f64)]);
    gradcheck((x, y) => x.pow(y), [pos, randn([6], f64)]);
  });
});

test('where and clamp (away from the kinks)', () => {
  tidy(() => {
    const x = tensor([-1.3, -0.7, -0.2, 0.3, 0.8, 1.6], f64);
    const y = tensor([0.5, 1.5, -2, 3, 0.1, -0.4], f64);
    gradcheck((a, b) => where(a.gt(0), a.mul(b), b.exp()), [x, y]);
    gradcheck((a) => a.clamp(-0.5, 1).mul(a), [x]);
    gradcheck((a) => binaryCrossEntropyWithLogits(a, tensor([0, 1, 1, 0, 0.5, 1], f64), { posWeight: tensor([2], f64) }), [x]);
  });
});

test('autograd.grad with several inputs returns one gradient per input and leaves .grad alone', () => {
  tidy(() => {
    const a = tensor([1, 2, 3], { ...f64, requiresGrad: true });
    const b = tensor([4, 5, 6], { ...f64, requiresGrad: true });
    const c = tensor([7, 8, 9], { ...f64, requiresGrad: true });
    const y = a.mul(b).sum().add(c.sum());
    const [ga, gb, gc] = autograd.grad(y, [a, b, c]);
    assertClose(ga!, [4, 5, 6]);
    assertClose(gb!, [1, 2, 3]);
    assertClose(gc!, [1, 1, 1]);
    assert.equal(a.grad, null);
    // An input the output does not depend on: an error by default, null with allowUnused.
    const unused = tensor([1], { ...f64, requiresGrad: true });
    const z = a.sum();
    assert.throws(() => autograd.grad(z, [a, unused], { retainGraph: true }), /not have been used|allow_unused/);
    const [g1, g2] = autograd.grad(z, [a, unused], { allowUnused: true });
    assertClose(g1!, [1, 1, 1]);
    assert.equal(g2, null);
  });
});

test('backward accumulates into .grad; retainGraph allows a second backward; without it the graph is freed', () => {
  tidy(() => {
    const x = tensor([1, 2], { ...f64, requiresGrad: true });
    const y = x.pow(2).sum();
    y.backward(null, { retainGraph: true });
    assertClose(x.grad!, [2, 4]);
    y.backward();
    assertClose(x.grad!, [4, 8]);
    assert.throws(() => y.backward(), /second time|already been freed/);
    x.grad = null;
    assert.equal(x.grad, null);
    // backward of a non-scalar needs an explicit gradient
    const v = x.mul(3);
    assert.throws(() => v.backward(), /pass a gradient/);
    v.backward(tensor([1, 10], f64));
    assertClose(x.grad!, [3, 30]);
  });
});

test('createGraph gives second derivatives (d²/dx² of x³ = 6x) through autograd.grad and backward', () => {
  tidy(() => {
    const x = tensor([1, -2, 0.5], { ...f64, requiresGrad: true });
    const y = x.pow(3).sum();
    const [g] = autograd.grad(y, x, { createGraph: true });
    assertClose(g!, [3, 12, 0.75]);
    assert.ok(g!.requiresGrad, 'first derivative is differentiable');
    const [h] = autograd.grad(g!.sum(), x);
    assertClose(h!, [6, -12, 3]);
    // Same through backward(createGraph): .grad carries a graph.
    const z = x.pow(3).sum();
    z.backward(null, { createGraph: true });
    const gx = x.grad!;
    assert.ok(gx.requiresGrad);
    const [h2] = autograd.grad(gx.sum(), x);
    assertClose(h2!, [6, -12, 3]);
  });
});

test('noGrad, enableGrad, noGradGuard nest and restore the mode, also on exceptions', () => {
  tidy(() => {
    const x = tensor([1, 2], { ...f64, requiresGrad: true });
    assert.equal(isGradEnabled(), true);
    const y = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      const inner = enableGrad(() => {
        assert.equal(isGradEnabled(), true);
        return x.mul(2);
      });
      assert.equal(isGradEnabled(), false);
      assert.ok(inner.requiresGrad, 'enableGrad records inside noGrad');
      return x.mul(2);
    });
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.equal(isGradEnabled(), true);
    assert.throws(() => noGrad(() => { throw new Error('boom'); }), /boom/);
    assert.equal(isGradEnabled(), true, 'restored after a throw');
    {
      using _guard = noGradGuard();
      assert.equal(isGradEnabled(), false);
      assert.equal(x.mul(3).requiresGrad, false);
    }
    assert.equal(isGradEnabled(), true);
    // In-place updates of leaves are allowed under noGrad (the optimizer pattern) and not recorded.
    const p = tensor([1, 1], { ...f64, requiresGrad: true });
    assert.throws(() => p.add_(1), /leaf Variable that requires grad/);
    noGrad(() => p.sub_(tensor([0.5, 0.25], f64), 2));
    assertClose(p, [0, 0.5]);
    assert.ok(p.isLeaf && p.requiresGrad);
  });
});

test('assigning .grad checks shape and dtype; noGrad and enableGrad reject async functions', async () => {
  tidy(() => {
    const p = zeros([2, 3], { requiresGrad: true });
    p.grad = ones([2, 3]);
    assertClose(p.grad!, [[1, 1, 1], [1, 1, 1]]);
    assert.throws(() => (p.grad = ones([3, 2])), /assigned gradient has shape \[3, 2\] but the tensor has shape \[2, 3\]/);
    assert.throws(() => (p.grad = ones([2, 3], f64)), /assigned gradient has dtype float64 but the tensor is float32/);
    p.grad = null;
    assert.equal(p.grad, null);
  });
  assert.throws(() => noGrad(async () => 1), /noGrad\(fn\): fn returned a Promise/);
  assert.throws(() => enableGrad(() => Promise.resolve(1)), /enableGrad\(fn\): fn returned a Promise/);
  assert.equal(isGradEnabled(), true);
});

test('requiresGrad flags, leaves, gradFn names and detach', () => {
  tidy(() => {
    const x = ones([2], { requiresGrad: true });
    assert.ok(x.isLeaf);
    assert.equal(x.gradFn, null);
    const y = x.mul(2);
    assert.equal(y.isLeaf, false);
    assert.match(y.gradFn!, /Mul/);
    const d = y.detach();
    assert.equal(d.requiresGrad, false);
    assert.throws(() => tensor([1, 2], { requiresGrad: true }), /floating point|requires_grad|gradients/i);
  });
});

test('gradient checks leave no tensors behind', () => {
  const before = baselineMemory();
  tidy(() => {
    const x = randn([3, 3], f64);
    gradcheck((m: Tensor) => linalg.svdvals(m).sum(), [x]);
  });
  assert.deepEqual(memory(), before);
});
