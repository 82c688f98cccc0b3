// Shapes, views and indexing: reshape/view/permute/..., cat/stack/split/chunk, gather/scatter, masks, pad.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arange, cat, chunk, gather, maskedSelect, pad, scatter, split, stack, tensor, tidy, zeros } from '../../src/index.js';
import { assertTensor } from './helpers.js';

const f32 = { dtype: 'float32' } as const;

test('reshape, view (aliasing), flatten, unflatten, squeeze, unsqueeze, expand, repeat, tile', () => {
  tidy(() => {
    const x = arange(6);
    assertTensor(x.reshape(2, 3), [[0, 1, 2], [3, 4, 5]]);
    assertTensor(x.reshape([3, -1]), [[0, 1], [2, 3], [4, 5]]);
    const v = x.view(2, 3);
    v.select(0, 0).fill_(9);
    assertTensor(x, [9, 9, 9, 3, 4, 5], 'int64'); // a view writes through
    const y = arange(24).reshape(2, 3, 4);
    assert.deepEqual(y.flatten().shape, [24]);
    assert.deepEqual(y.flatten(1).shape, [2, 12]);
    assert.deepEqual(y.flatten(0, 1).shape, [6, 4]);
    assert.deepEqual(y.flatten(1).unflatten(1, [3, -1]).shape, [2, 3, 4]);
    assert.deepEqual(zeros([1, 3, 1]).squeeze().shape, [3]);
    assert.deepEqual(zeros([1, 3, 1]).squeeze(0).shape, [3, 1]);
    assert.deepEqual(zeros([3]).unsqueeze(0).shape, [1, 3]);
    assert.deepEqual(zeros([3]).unsqueeze(-1).shape, [3, 1]);
    assertTensor(tensor([[1], [2]]).expand(2, 3), [[1, 1, 1], [2, 2, 2]]);
    assertTensor(tensor([[1], [2]]).expand([-1, 2]), [[1, 1], [2, 2]]);
    assertTensor(tensor([1, 2]).expandAs(zeros([2, 2])), [[1, 2], [1, 2]]);
    assertTensor(tensor([1, 2]).repeat(2, 2), [[1, 2, 1, 2], [1, 2, 1, 2]]);
    assertTensor(tensor([1, 2]).tile(2), [1, 2, 1, 2]);
    assert.throws(() => arange(6).view(4, 2), /shape '\[4, 2\]' is invalid for input of size 6/);
    // view needs compatible strides: a transposed tensor must be reshaped (copy) instead
    assert.throws(() => arange(6).reshape(2, 3).t().view(6), /view size is not compatible|reshape/);
    assertTensor(arange(6).reshape(2, 3).t().reshape(6), [0, 3, 1, 4, 2, 5]);
  });
});

test('permute, transpose, t, movedim, flip, roll, tril, triu, diag, trace', () => {
  tidy(() => {
    const y = arange(24).reshape(2, 3, 4);
    assert.deepEqual(y.permute(2, 0, 1).shape, [4, 2, 3]);
    assert.equal(y.permute([2, 0, 1]).select(0, 1).select(0, 1).select(0, 2).item(), 12 + 8 + 1);
    assert.deepEqual(y.transpose(0, 2).shape, [4, 3, 2]);
    assert.deepEqual(y.movedim(0, 2).shape, [3, 4, 2]);
    const m = tensor([[1, 2, 3], [4, 5, 6]]);
    assertTensor(m.t(), [[1, 4], [2, 5], [3, 6]]);
    assertTensor(m.flip(1), [[3, 2, 1], [6, 5, 4]]);
    assertTensor(m.flip([0, 1]), [[6, 5, 4], [3, 2, 1]]);
    assertTensor(tensor([1, 2, 3, 4]).roll(1, 0), [4, 1, 2, 3]);
    const s = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    assertTensor(s.tril(), [[1, 0, 0], [4, 5, 0], [7, 8, 9]]);
    assertTensor(s.triu(1), [[0, 2, 3], [0, 0, 6], [0, 0, 0]]);
    assertTensor(s.diag(), [1, 5, 9]);
    assertTensor(tensor([1, 2]).diag(), [[1, 0], [0, 2]]);
    assertTensor(s.trace(), 15);
  });
});

test('cat, stack, split (sizes and size lists), chunk, narrow, slice, select', () => {
  tidy(() => {
    const a = tensor([[1, 2]]);
    const b = tensor([[3, 4]]);
    assertTensor(cat([a, b]), [[1, 2], [3, 4]]);
    assertTensor(cat([a, b], 1), [[1, 2, 3, 4]]);
    assertTensor(stack([a, b]), [[[1, 2]], [[3, 4]]]);
    assertTensor(stack([tensor([1, 2]), tensor([3, 4])], 1), [[1, 3], [2, 4]]);
    const x = arange(7);
    assert.deepEqual(split(x, 3).map((t) => t.toArray()), [[0, 1, 2], [3, 4, 5], [6]]);
    assert.deepEqual(x.split([2, 5]).map((t) => t.toArray()), [[0, 1], [2, 3, 4, 5, 6]]);
    assert.deepEqual(chunk(x, 3).map((t) => t.toArray()), [[0, 1, 2], [3, 4, 5], [6]]);
    assert.deepEqual(arange(6).reshape(2, 3).chunk(3, 1).map((t) => t.shape), [[2, 1], [2, 1], [2, 1]]);
    assertTensor(x.narrow(0, 2, 3), [2, 3, 4]);
    assertTensor(x.slice(0, 1, 7, 2), [1, 3, 5]);
    assertTensor(x.slice(0, -3), [4, 5, 6]);
    assertTensor(arange(6).reshape(2, 3).select(1, -1), [2, 5]);
    assert.throws(() => x.split([2, 2]), /split_with_sizes expects split_sizes to sum exactly to 7/);
  });
});

test('indexSelect, advanced index (with null for full dims), indexPut, gather', () => {
  tidy(() => {
    const m = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    assertTensor(m.indexSelect(0, tensor([2, 0])), [[7, 8, 9], [1, 2, 3]]);
    assertTensor(m.indexSelect(1, tensor([1, 1])), [[2, 2], [5, 5], [8, 8]]);
    assertTensor(m.index([tensor([0, 2]), tensor([1, 2])]), [2, 9]);
    assertTensor(m.index([null, tensor([0])]), [[1], [4], [7]]);
    assertTensor(m.index([tensor([-1])]), [[7, 8, 9]]);
    assertTensor(tensor([0, 0, 0]).indexPut([tensor([0, 2])], tensor([5, 6])), [5, 0, 6]);
    assertTensor(tensor([0, 0, 0]).indexPut([tensor([1, 1])], tensor([5, 6]), true), [0, 11, 0]);
    // gather along dim 1: out[i][j] = m[i][idx[i][j]]
    assertTensor(gather(m, 1, tensor([[2, 0], [1, 1], [0, 2]])), [[3, 1], [5, 5], [7, 9]]);
    assertTensor(m.gather(0, tensor([[2, 1, 0]])), [[7, 5, 3]]);
  });
});

test('scatter (src and value), scatterAdd, scatterReduce, indexAdd, indexCopy, indexFill, and their in-place forms', () => {
  tidy(() => {
    const z = zeros([2, 3], f32);
    const idx = tensor([[2, 0], [1, 1]]);
    const src = tensor([[1, 2], [3, 4]], f32);
    const unique = tensor([[2, 0], [1, 2]]); // scatter with duplicate indices is unspecified, as in PyTorch
    assertTensor(z.scatter(1, unique, src), [[2, 0, 1], [0, 3, 4]]);
    assertTensor(scatter(z, 1, idx, 7), [[7, 0, 7], [0, 7, 0]]);
    assertTensor(z.scatterAdd(1, idx, src), [[2, 0, 1], [0, 7, 0]]); // duplicates accumulate
    assertTensor(z, [[0, 0, 0], [0, 0, 0]]); // out-of-place: untouched
    const base = tensor([10, 10, 10, 10], f32);
    const groups = tensor([0, 0, 1, 3]);
    const vals = tensor([1, 5, 3, 2], f32);
    assertTensor(base.scatterReduce(0, groups, vals, 'sum'), [16, 13, 10, 12]);
    assertTensor(base.scatterReduce(0, groups, vals, 'amax', false), [5, 3, 10, 2]);
    assertTensor(base.scatterReduce(0, groups, vals, 'mean', false), [3, 3, 10, 2]);
    assertTensor(base.scatterReduce(0, groups, vals, 'prod'), [50, 30, 10, 20]);
    assertTensor(zeros([3], f32).indexAdd(0, tensor([0, 2, 0]), tensor([1, 2, 3], f32), 2), [8, 0, 4]);
    assertTensor(zeros([2, 2], f32).indexCopy(0, tensor([1]), tensor([[5, 6]], f32)), [[0, 0], [5, 6]]);
    assertTensor(zeros([2, 2], f32).indexFill(1, tensor([0]), -1), [[-1, 0], [-1, 0]]);
    const w = zeros([4], f32);
    w.scatter_(0, tensor([3]), 1).scatterAdd_(0, tensor([3, 0]), tensor([1, 2], f32)).indexAdd_(0, tensor([1]), tensor([5], f32));
    w.indexFill_(0, tensor([2]), 9);
    w.indexPut_([tensor([2])], tensor([4], f32), true);
    assertTensor(w, [2, 5, 13, 2]);
  });
});

test('boolean masks: maskedSelect, index with a mask, maskedFill, maskedScatter, nonzero', () => {
  tidy(() => {
    const x = tensor([[1, -2], [-3, 4]], f32);
    const mask = x.gt(0);
    assertTensor(maskedSelect(x, mask), [1, 4]);
    assertTensor(x.index([mask]), [1, 4]);
    assertTensor(x.maskedSelect(tensor([true, false])), [1, -3]); // the mask broadcasts
    assertTensor(x.maskedFill(mask.logicalNot(), 0), [[1, 0], [0, 4]]);
    assertTensor(x.maskedFill(mask, tensor(9, f32)), [[9, -2], [-3, 9]]);
    assertTensor(x.maskedScatter(mask, tensor([7, 8], f32)), [[7, -2], [-3, 8]]);
    assertTensor(mask.nonzero(), [[0, 0], [1, 1]], 'int64');
  });
});

test('pad: constant (with value), reflect, replicate, circular on the last dims', () => {
  tidy(() => {
    const x = tensor([[[1, 2, 3]]], f32);
    assertTensor(pad(x, [1, 2]), [[[0, 1, 2, 3, 0, 0]]]);
    assertTensor(pad(x, [1, 0], 'constant', -1), [[[-1, 1, 2, 3]]]);
    assertTensor(pad(x, [2, 1], 'reflect'), [[[3, 2, 1, 2, 3, 2]]]);
    assertTensor(pad(x, [1, 1], 'replicate'), [[[1, 1, 2, 3, 3]]]);
    assertTensor(pad(x, [1, 2], 'circular'), [[[3, 1, 2, 3, 1, 2]]]);
    const img = tensor([[[[1, 2], [3, 4]]]], f32);
    assertTensor(pad(img, [1, 0, 0, 1]), [[[[0, 1, 2], [0, 3, 4], [0, 0, 0]]]]);
    assertTensor(pad(img, [1, 1, 1, 1], 'reflect'), [[[[4, 3, 4, 3], [2, 1, 2, 1], [4, 3, 4, 3], [2, 1, 2, 1]]]]);
  });
});
