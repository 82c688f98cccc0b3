// Reductions, statistics, norms, cumulative ops, and the ordering family (topk, kthvalue, sort, argsort).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amax, argmax, cumsum, kthvalue, logsumexp, max, mean, norm, prod, sort, std, sum, tensor, tidy, topk } from '../../src/index.js';
import { assertClose, assertTensor } from './helpers.js';

const f32 = { dtype: 'float32' } as const;
const f64 = { dtype: 'float64' } as const;

test('sum and mean over all, one, several dims, keepdim, and with an accumulation dtype', () => {
  tidy(() => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], f32);
    assertTensor(x.sum(), 21);
    assertTensor(x.sum(0), [5, 7, 9]);
    assertTensor(x.sum(1, true), [[6], [15]]);
    assertTensor(x.sum([0, 1]), 21);
    assertTensor(sum(x, -1), [6, 15]);
    assertTensor(tensor([[1, 2, 3], [4, 5, 6]]).sum(), 21, 'int64');
    assertTensor(tensor([true, true, false]).sum(), 2, 'int64');
    assertTensor(tensor([200, 100], { dtype: 'uint8' }).sum(undefined, false, 'int32'), 300, 'int32');
    assertClose(x.mean(), 3.5);
    assertClose(mean(x, 0), [2.5, 3.5, 4.5]);
    assertClose(x.mean([0, 1], true), [[3.5]]);
    assertTensor(x.prod(), 720);
    assertTensor(prod(x, 1), [6, 120]);
  });
});

test('max/min of all elements and along a dim with indices; argmax/argmin; amax/amin', () => {
  tidy(() => {
    const x = tensor([[3, 9, 1], [7, 2, 8]], f32);
    assertTensor(x.max(), 9);
    assertTensor(max(x), 9);
    assertTensor(x.min(), 1);
    const [values, indices] = x.maxDim(1);
    assertTensor(values, [9, 8]);
    assertTensor(indices, [1, 2], 'int64');
    const [mv, mi] = x.minDim(0, true);
    assertTensor(mv, [[3, 2, 1]]);
    assertTensor(mi, [[0, 1, 0]], 'int64');
    assertTensor(x.argmax(), 1, 'int64'); // flat index
    assertTensor(argmax(x, 0), [1, 0, 1], 'int64');
    assertTensor(x.argmin(1, true), [[2], [1]], 'int64');
    assertTensor(x.amax(0), [7, 9, 8]);
    assertTensor(amax(x), 9);
    assertTensor(x.amin([0, 1]), 1);
  });
});

test('std and var: unbiased by default (n - 1), biased on request, along dims, with correction', () => {
  tidy(() => {
    // values 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sum of squared deviations 32
    const x = tensor([2, 4, 4, 4, 5, 5, 7, 9], f64);
    assertClose(x.var(), 32 / 7, 1e-12);
    assertClose(x.std(), Math.sqrt(32 / 7), 1e-12);
    assertClose(x.var(undefined, { unbiased: false }), 4, 1e-12);
    assertClose(std(x, undefined, { unbiased: false }), 2, 1e-12);
    assertClose(x.var(0, { correction: 2 }), 32 / 6, 1e-12);
    const m = tensor([[1, 3], [5, 9]], f64);
    assertClose(m.var(1), [2, 8], 1e-12);
    assertClose(m.std(0, { keepdim: true }), [[Math.sqrt(8), Math.sqrt(18)]], 1e-12);
  });
});

test('norm: p = 1, 2, Infinity, over dims; logsumexp is stable for large inputs', () => {
  tidy(() => {
    const v = tensor([3, -4], f64);
    assertClose(v.norm(), 5);
    assertClose(norm(v, 1), 7);
    assertClose(v.norm(Infinity), 4);
    assertClose(tensor([[3, 4], [6, 8]], f64).norm(2, 1), [5, 10]);
    assertClose(tensor([[3, 4], [6, 8]], f64).norm(2, 1, true), [[5], [10]]);
    assertClose(logsumexp(tensor([0, Math.log(3)], f64), 0), Math.log(4), 1e-12);
    assertClose(tensor([[1000, 1000], [-1000, -1000]], f64).logsumexp(1), [1000 + Math.LN2, -1000 + Math.LN2], 1e-12);
  });
});

test('cumsum and cumprod along a dim, with dtype', () => {
  tidy(() => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    assertTensor(x.cumsum(1), [[1, 3, 6], [4, 9, 15]], 'int64');
    assertTensor(cumsum(x, 0), [[1, 2, 3], [5, 7, 9]], 'int64');
    assertTensor(cumsum(x, 0, 'float64'), [[1, 2, 3], [5, 7, 9]], 'float64');
    assertTensor(x.cumprod(1), [[1, 2, 6], [4, 20, 120]], 'int64');
  });
});

test('topk: largest and smallest, sorted values with their indices, along a dim', () => {
  tidy(() => {
    const x = tensor([[1, 9, 3, 7], [8, 2, 6, 4]], f32);
    const [v, i] = x.topk(2);
    assertTensor(v, [[9, 7], [8, 6]]);
    assertTensor(i, [[1, 3], [0, 2]], 'int64');
    const [sv, si] = topk(x, 1, 0, false);
    assertTensor(sv, [[1, 2, 3, 4]]);
    assertTensor(si, [[0, 1, 0, 1]], 'int64');
  });
});

test('kthvalue is 1-based like PyTorch and returns the index of that element', () => {
  tidy(() => {
    const x = tensor([[5, 1, 4, 2], [10, 40, 30, 20]], f32);
    const [v, i] = x.kthvalue(2);
    assertTensor(v, [2, 20]);
    assertTensor(i, [3, 3], 'int64');
    const [v3, i3] = kthvalue(x, 1, 0, true);
    assertTensor(v3, [[5, 1, 4, 2]]);
    assertTensor(i3, [[0, 0, 0, 0]], 'int64');
  });
});

test('sort is stable (ties keep their order), ascending or descending; argsort matches', () => {
  tidy(() => {
    const x = tensor([3, 1, 2, 1, 3], f32);
    const [v, i] = x.sort();
    assertTensor(v, [1, 1, 2, 3, 3]);
    assertTensor(i, [1, 3, 2, 0, 4], 'int64');
    const [dv, di] = sort(x, -1, true);
    assertTensor(dv, [3, 3, 2, 1, 1]);
    assertTensor(di, [0, 4, 2, 1, 3], 'int64');
    assertTensor(x.argsort(), [1, 3, 2, 0, 4], 'int64');
    assertTensor(tensor([[2, 1], [0, 5]]).argsort(0, true), [[0, 1], [1, 0]], 'int64');
  });
});

test('reducing an empty tensor: sum is 0, max is an error with a message', () => {
  tidy(() => {
    assertTensor(tensor([], f32).sum(), 0);
    assert.throws(() => tensor([], f32).max(), /empty|numel/i);
  });
});
