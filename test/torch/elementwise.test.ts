// Elementwise math with broadcasting and scalars, comparisons and where, and the in-place ops optimizers use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  abs, clamp, exp, log, maximum, minimum, noGrad, ones, pow, sigmoid, sign, sqrt, tanh, tensor, tidy, where, zeros,
} from '../../src/index.js';
import { assertClose, assertTensor } from './helpers.js';

const f32 = { dtype: 'float32' } as const;
const f64 = { dtype: 'float64' } as const;

test('add, sub, mul, div with broadcasting ([2,1] op [3] -> [2,3]) and alpha', () => {
  tidy(() => {
    const a = tensor([[1], [2]], f32);
    const b = tensor([10, 20, 30], f32);
    assertTensor(a.add(b), [[11, 21, 31], [12, 22, 32]]);
    assertTensor(a.sub(b), [[-9, -19, -29], [-8, -18, -28]]);
    assertTensor(a.mul(b), [[10, 20, 30], [20, 40, 60]]);
    assertClose(b.div(a), [[10, 20, 30], [5, 10, 15]]);
    assertTensor(a.add(b, 2), [[21, 41, 61], [22, 42, 62]]);
    assertTensor(b.sub(a, 3), [[7, 17, 27], [4, 14, 24]]);
    assert.throws(() => tensor([1, 2, 3]).add(tensor([1, 2])), /size of tensor a \(3\) must match the size of tensor b \(2\)/);
  });
});

test('scalars keep integer tensors integral and promote to float only when needed', () => {
  tidy(() => {
    const i = tensor([1, 2, 3]);
    assertTensor(i.add(1), [2, 3, 4], 'int64');
    assertTensor(i.mul(2), [2, 4, 6], 'int64');
    assertTensor(i.mul(0.5), [0.5, 1, 1.5], 'float32');
    assertTensor(i.div(2), [0.5, 1, 1.5], 'float32'); // true division, as torch.div
    assertTensor(tensor([7, -7]).div(2, 'floor'), [3, -4], 'int64');
    assertTensor(tensor([7, -7]).div(2, 'trunc'), [3, -3], 'int64');
    assertTensor(tensor([7, -7]).remainder(3), [1, 2], 'int64'); // Python-style sign
    assertTensor(tensor([7, -7]).fmod(3), [1, -1], 'int64'); // C-style sign
    assertTensor(tensor([1, 2], f64).add(1), [2, 3], 'float64');
    assertTensor(tensor([1, 2]).add(tensor([0.5, 0.5], f64)), [1.5, 2.5], 'float64');
    assertTensor(tensor([true, false]).add(1), [2, 1], 'int64');
  });
});

test('unary math: abs, sign, exp, log, sqrt, pow, sigmoid, tanh and friends', () => {
  tidy(() => {
    const x = tensor([-2, -0.5, 0, 1, 4], f64);
    assertClose(abs(x), [2, 0.5, 0, 1, 4]);
    assertClose(sign(x), [-1, -1, 0, 1, 1]);
    assertClose(exp(x), [Math.exp(-2), Math.exp(-0.5), 1, Math.E, Math.exp(4)], 1e-12);
    assertClose(log(tensor([1, Math.E, 0.5], f64)), [0, 1, Math.log(0.5)], 1e-12);
    assertClose(log(tensor([0, -1], f64)), [-Infinity, NaN]);
    assertClose(sqrt(tensor([4, 2, 0], f64)), [2, Math.SQRT2, 0], 1e-12);
    assertClose(pow(x, 2), [4, 0.25, 0, 1, 16]);
    assertClose(pow(tensor([2, 3], f64), tensor([3, 2], f64)), [8, 9]);
    assertClose(sigmoid(tensor([0, Math.log(3)], f64)), [0.5, 0.75], 1e-12);
    assertClose(tanh(tensor([0, 0.5], f64)), [0, Math.tanh(0.5)], 1e-12);
    assertClose(x.neg(), [2, 0.5, -0, -1, -4]);
    assertClose(x.square(), [4, 0.25, 0, 1, 16]);
    assertClose(tensor([4, 0.25], f64).rsqrt(), [0.5, 2]);
    assertClose(tensor([4, 0.25], f64).reciprocal(), [0.25, 4]);
    assertClose(tensor([1e-10], f64).log1p(), [1e-10 - 5e-21], 1e-20);
    assertClose(tensor([1e-10], f64).expm1(), [1e-10 + 5e-21], 1e-20);
    assertClose(tensor([0, 1], f64).erf(), [0, 0.8427007929497149], 1e-12);
    assertClose(tensor([-1.5, -0.5, 0.5, 1.5, 2.5], f64).round(), [-2, -0, 0, 2, 2]); // half to even
    assertClose(tensor([-1.5, 1.5], f64).floor(), [-2, 1]);
    assertClose(tensor([-1.5, 1.5], f64).ceil(), [-1, 2]);
    assertClose(tensor([0, Math.PI / 2], f64).sin(), [0, 1], 1e-12);
    assertClose(tensor([0, Math.PI], f64).cos(), [1, -1], 1e-12);
    assertClose(tensor([-1, 2], f64).relu(), [0, 2]);
    assertClose(tensor([0, 10], f64).lerp(tensor([10, 20], f64), 0.25), [2.5, 12.5]);
  });
});

test('clamp with numbers, one-sided bounds and tensor bounds; maximum and minimum', () => {
  tidy(() => {
    const x = tensor([-3, -1, 0, 2, 5], f32);
    assertTensor(clamp(x, -1, 2), [-1, -1, 0, 2, 2]);
    assertTensor(x.clampMin(0), [0, 0, 0, 2, 5]);
    assertTensor(x.clampMax(0), [-3, -1, 0, 0, 0]);
    assertTensor(x.clamp(tensor([0, 0, 0, 0, 0], f32), tensor([1, 1, 1, 1, 4], f32)), [0, 0, 0, 1, 4]);
    // a tensor bound with a number bound: the number must not be dropped
    assertTensor(x.clamp(tensor([-2, -2, -2, -2, 3], f32), 4), [-2, -1, 0, 2, 4]);
    assertTensor(x.clamp(0, tensor([1, 1, 1, 1, 4], f32)), [0, 0, 0, 1, 4]);
    assertTensor(x.clamp(null, tensor([0], f32)), [-3, -1, 0, 0, 0]);
    assertTensor(maximum(x, tensor([0], f32)), [0, 0, 0, 2, 5]);
    assertTensor(minimum(x, tensor([0], f32)), [-3, -1, 0, 0, 0]);
  });
});

test('comparisons broadcast and return bool; logical ops; isnan/isinf/isfinite/nanToNum', () => {
  tidy(() => {
    const a = tensor([1, 2, 3]);
    assertTensor(a.eq(2), [false, true, false], 'bool');
    assertTensor(a.ne(2), [true, false, true], 'bool');
    assertTensor(a.lt(2), [true, false, false], 'bool');
    assertTensor(a.le(2), [true, true, false], 'bool');
    assertTensor(a.gt(tensor([[0], [2]])), [[true, true, true], [false, false, true]], 'bool');
    assertTensor(a.ge(tensor([3, 2, 1])), [false, true, true], 'bool');
    const p = tensor([true, true, false, false]);
    const q = tensor([true, false, true, false]);
    assertTensor(p.logicalAnd(q), [true, false, false, false]);
    assertTensor(p.logicalOr(q), [true, true, true, false]);
    assertTensor(p.logicalXor(q), [false, true, true, false]);
    assertTensor(p.logicalNot(), [false, false, true, true]);
    const z = tensor([NaN, Infinity, -Infinity, 1], f32);
    assertTensor(z.isnan(), [true, false, false, false]);
    assertTensor(z.isinf(), [false, true, true, false]);
    assertTensor(z.isfinite(), [false, false, false, true]);
    assertTensor(z.nanToNum({ nan: 0, posinf: 9, neginf: -9 }), [0, 9, -9, 1]);
    assert.equal(a.any().item(), 1);
    assert.equal(a.gt(1).all().item(), 0);
    assert.equal(tensor([1, 2], f32).allclose(tensor([1, 2 + 1e-7], f32)), true);
    assert.equal(tensor([1, 2], f32).allclose(tensor([1, 2.1], f32)), false);
    assert.equal(a.equal(tensor([1, 2, 3])), true);
    assert.equal(a.equal(tensor([1, 2, 4])), false);
  });
});

test('where with tensors and scalars on either side, broadcasting the condition', () => {
  tidy(() => {
    const c = tensor([true, false, true]);
    const x = tensor([1, 2, 3], f32);
    const y = tensor([10, 20, 30], f32);
    assertTensor(where(c, x, y), [1, 20, 3]);
    assertTensor(where(c, x, 0), [1, 0, 3]);
    assertTensor(where(c, -1, y), [-1, 20, -1]);
    assertTensor(where(c, 1, 0), [1, 0, 1]);
    assertTensor(x.where(c, y), [1, 20, 3]);
    assertTensor(where(tensor([[true], [false]]), x, y), [[1, 2, 3], [10, 20, 30]]);
  });
});

test('in-place ops mutate this, return this, keep the storage, and never touch their arguments', () => {
  tidy(() => {
    const p = tensor([1, 2, 3], f32);
    const ptr = p.dataPtr();
    const g = tensor([0.5, 0.5, 0.5], f32);
    assert.equal(p.add_(g), p);
    assertTensor(p, [1.5, 2.5, 3.5]);
    p.sub_(g, 2);
    assertTensor(p, [0.5, 1.5, 2.5]);
    p.mul_(2).div_(tensor([1, 3, 5], f32));
    assertTensor(p, [1, 1, 1]);
    p.addcmul_(tensor([1, 2, 3], f32), tensor([2, 2, 2], f32), 0.5); // p += 0.5 * t1 * t2
    assertTensor(p, [2, 3, 4]);
    p.addcdiv_(tensor([2, 3, 4], f32), tensor([2, 3, 4], f32), -1); // p -= t1 / t2
    assertTensor(p, [1, 2, 3]);
    p.copy_(tensor([7, 8, 9])); // copies and converts int64 -> float32
    assertTensor(p, [7, 8, 9], 'float32');
    p.clamp_(7.5, 8.5);
    assertTensor(p, [7.5, 8, 8.5]);
    p.maskedFill_(tensor([true, false, false]), -1);
    assertTensor(p, [-1, 8, 8.5]);
    p.maskedFill_(tensor([false, true, false]), tensor(0.25, f32));
    assertTensor(p, [-1, 0.25, 8.5]);
    p.maskedScatter_(tensor([true, false, true]), tensor([5, 6], f32));
    assertTensor(p, [5, 0.25, 6]);
    p.lerp_(tensor([7, 0.25, 8], f32), 0.5);
    assertTensor(p, [6, 0.25, 7]);
    p.fill_(4).sqrt_();
    assertTensor(p, [2, 2, 2]);
    p.pow_(3).neg_().abs_().exp_();
    assertClose(p, [Math.exp(8), Math.exp(8), Math.exp(8)], 1e-6);
    p.zero_();
    assertTensor(p, [0, 0, 0]);
    p.sub_(1).relu_();
    assertTensor(p, [0, 0, 0]);
    assert.equal(p.dataPtr(), ptr, 'same storage throughout');
    assertTensor(g, [0.5, 0.5, 0.5]);
    // in-place on a view writes through to the base tensor
    const base = zeros([2, 2]);
    base.select(0, 1).fill_(3);
    assertTensor(base, [[0, 0], [3, 3]]);
    // a result that cannot be stored in place is an error, not a silent cast
    assert.throws(() => tensor([1, 2]).mul_(0.5), /can't be cast|result type/);
  });
});

test('random in-place fills: uniform_ and normal_ respect their parameters', () => {
  tidy(() => {
    const u = zeros([5000], f64).uniform_(2, 3);
    assert.ok(u.min().item() >= 2 && u.max().item() < 3);
    const n = zeros([5000], f64).normal_(10, 0.5);
    assert.ok(Math.abs(n.mean().item() - 10) < 0.05);
    assert.ok(Math.abs(n.std().item() - 0.5) < 0.05);
    noGrad(() => ones([2], { requiresGrad: true }).uniform_());
  });
});
