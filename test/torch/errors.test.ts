// Bad input: every mistake throws a JS Error whose message says what is wrong, and the process keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arange, autograd, cat, conv2d, crossEntropy, fromBuffer, linalg, manualSeed, memory, mseLoss, nllLoss, ones, randn, tensor, tidy, zeros,
  type DType, type Device,
} from '../../src/index.js';
import { aten } from '../../src/torch/aten.js';
import { call } from '../../src/torch/tensor.js';
import { baselineMemory } from '../baseline.js';

/** Asserts fn throws an Error (a real Error instance) whose message matches re. */
function throwsClearly(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error, `expected an Error, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

test('wrong shapes: matmul, conv2d channels, broadcasting, cat, view, loss shapes', () => {
  tidy(() => {
    throwsClearly(() => ones([2, 3]).matmul(ones([2, 3])), /mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/);
    throwsClearly(() => ones([2, 3]).mm(ones([4])), /mat2 must be a matrix|2D/i);
    throwsClearly(() => ones([2, 3]).dot(ones([3])), /1D tensors expected, but got 2D and 1D/);
    throwsClearly(
      () => conv2d(ones([1, 2, 5, 5]), ones([4, 3, 3, 3])),
      /weight of size \[4, 3, 3, 3\], expected input\[1, 2, 5, 5\] to have 3 channels, but got 2 channels/,
    );
    throwsClearly(() => conv2d(ones([1, 3, 2, 2]), ones([4, 3, 3, 3])), /Kernel size can't be greater than actual input size/);
    throwsClearly(() => ones([3]).add(ones([2])), /size of tensor a \(3\) must match the size of tensor b \(2\)/);
    throwsClearly(() => cat([ones([2, 3]), ones([2, 4])]), /Sizes of tensors must match except in dimension 0/);
    throwsClearly(() => ones([6]).view(4, 2), /shape '\[4, 2\]' is invalid for input of size 6/);
    throwsClearly(() => mseLoss(ones([4, 1]), ones([4])), /mseLoss: input \[4, 1\] and target \[4\] must have the same shape/);
    throwsClearly(() => linalg.svd(ones([3])), /at least 2 dimensions/);
  });
});

test('wrong dtypes: crossEntropy targets, float indices, integer grads, in-place casts', () => {
  tidy(() => {
    const logits = randn([4, 3]);
    throwsClearly(() => crossEntropy(logits, ones([4])), /crossEntropy: a floating-point target .* must have the input's shape \[4, 3\], got \[4\]; for class indices pass an int64 tensor of shape \[4\]/);
    throwsClearly(() => crossEntropy(logits, ones([4, 2])), /class probabilities and must have the input's shape \[4, 3\], got \[4, 2\]/);
    throwsClearly(() => crossEntropy(logits, tensor([0, 1, 2, 0], { dtype: 'int32' })), /class-index targets must be int64, got int32; convert with target.long\(\)/);
    throwsClearly(() => crossEntropy(logits, tensor([0, 1, 2])), /class-index target has shape \[3\] but input \[4, 3\] needs \[4\]/);
    throwsClearly(() => nllLoss(logits.logSoftmax(1), ones([4])), /nllLoss: target must hold int64 class indices of shape \[4\], got float32/);
    throwsClearly(() => ones([3]).index([tensor([0.0, 1.5])]), /tensors used as indices must be long, (int, )?byte or bool tensors/);
    throwsClearly(() => ones([3]).indexSelect(0, tensor([0.5])), /index_select\(\): Expected dtype int32 or int64 for index/);
    throwsClearly(() => ones([3]).gather(0, tensor([0.5])), /gather\(\): Expected dtype int64 for index/);
    throwsClearly(() => tensor([1, 2], { requiresGrad: true }), /floating point .* can require gradients/);
    throwsClearly(() => tensor([1, 2]).mul_(0.5), /result type Float can't be cast to the desired output type Long/);
    throwsClearly(() => tensor([1, 2]).mean(), /mean\(\): could not infer output dtype.*Got: Long/);
    throwsClearly(() => ones([2]).logicalAnd(ones([3])), /size of tensor a \(2\) must match/);
  });
});

test('out-of-range indices and dimensions', () => {
  tidy(() => {
    const x = arange(3);
    throwsClearly(() => x.indexSelect(0, tensor([0, 5])), /index out of range in self/);
    throwsClearly(() => x.gather(0, tensor([0, 5])), /index 5 is out of bounds for dimension 0 with size 3/);
    throwsClearly(() => x.index([tensor([0, 5])]), /index 5 is out of bounds for dimension 0 with size 3/);
    throwsClearly(() => x.select(0, 5), /select\(\): index 5 out of range for tensor of size \[3\] at dimension 0/);
    throwsClearly(() => x.narrow(0, 2, 5), /start \(2\) \+ length \(5\) exceeds dimension size \(3\)/);
    throwsClearly(() => x.sum(3), /Dimension out of range \(expected to be in range of \[-1, 0\], but got 3\)/);
    throwsClearly(() => x.scatter(0, tensor([7]), 1), /index 7 is out of bounds for dimension 0 with size 3/);
    throwsClearly(() => crossEntropy(randn([2, 3]), tensor([0, 5])), /Target 5 is out of bounds/);
    throwsClearly(() => x.topk(4), /selected index k out of range/);
    throwsClearly(() => x.size(1), /size\(1\): dimension out of range for a 1-d tensor/);
  });
});

test('unknown or unavailable devices: cuda on a CPU build, tpu, cuda:1', () => {
  tidy(() => {
    const unavailable = /device 'cuda' is not available: this libtorch build has no CUDA support or no GPU is visible/;
    throwsClearly(() => zeros([2], { device: 'cuda' }), unavailable);
    throwsClearly(() => tensor([1, 2], { device: 'cuda' }), unavailable);
    throwsClearly(() => ones([2]).to('cuda'), unavailable);
    throwsClearly(() => ones([2]).to({ device: 'cuda:1' }), /device 'cuda:1' is not available/);
    throwsClearly(() => zeros([2], { device: 'tpu' as Device }), /unknown device 'tpu'; expected 'cpu', 'cuda' or 'cuda:N'/);
    throwsClearly(() => tensor([1], { device: 'tpu' as Device }), /unknown device 'tpu'/);
    throwsClearly(() => ones([2]).to('tpu' as Device), /to\('tpu'\): not a dtype .* nor a device/);
    throwsClearly(() => ones([2]).to({ device: 'gpu' as Device }), /unknown device 'gpu'/);
  });
});

test('unknown dtypes are named in the error together with the valid ones', () => {
  tidy(() => {
    const re = /unknown dtype 'float128'; expected one of .*float32.*bool/;
    throwsClearly(() => zeros([2], { dtype: 'float128' as DType }), re);
    throwsClearly(() => tensor([1, 2], { dtype: 'float128' as DType }), re);
    throwsClearly(() => tensor(new Float32Array(2), { dtype: 'float128' as DType }), re);
    throwsClearly(() => fromBuffer(new Float32Array(2), 'float128' as DType, [2]), re);
    throwsClearly(() => ones([2]).to({ dtype: 'complex64' as DType }), /unknown dtype 'complex64'/);
    throwsClearly(() => ones([2]).sum(undefined, false, 'int4' as DType), /unknown dtype 'int4'/);
  });
});

test('malformed data: ragged nested arrays, non-numeric elements, bad shapes, fromBuffer size mismatch', () => {
  tidy(() => {
    throwsClearly(() => tensor([[1, 2], [3]]), /ragged nested array: element data\[1\] has length 1, expected 2 \(shape \[2, 2\]\)/);
    throwsClearly(() => tensor([[1, 2], 3]), /ragged nested array: element data\[1\] is 3 but an array of length 2 was expected/);
    throwsClearly(() => tensor([1, [2]]), /ragged nested array: element data\[1\] is an array but a number was expected/);
    throwsClearly(() => tensor([[[1], [2]], [[3], [4, 5]]]), /element data\[1\]\[1\] has length 2, expected 1/);
    throwsClearly(() => tensor(['a' as unknown as number]), /unsupported element data\[0\] = a/);
    throwsClearly(() => tensor([null as unknown as number]), /unsupported element data\[0\] = null/);
    throwsClearly(() => fromBuffer(new Float32Array(5), 'float32', [2, 3]), /fromBuffer: the buffer holds 20 bytes but shape and dtype need 24/);
    throwsClearly(() => fromBuffer(new Uint8Array(3), 'int16', [2]), /holds 3 bytes but shape and dtype need 4/);
    throwsClearly(() => tensor(new Float32Array(6), { shape: [4, 2] }), /holds 24 bytes but shape and dtype need 32/);
    throwsClearly(() => fromBuffer(new Float32Array(2), 'float32', [-1, -2]), /invalid shape \[-1, -2\]/);
    throwsClearly(() => zeros([2, -1]), /zeros: invalid shape \[2, -1\]; dimensions must be non-negative integers/);
    throwsClearly(() => ones([1.5]), /ones: invalid shape \[1.5\]/);
    throwsClearly(() => randn([2, NaN]), /randn: invalid shape/);
  });
});

test('autograd misuse: backward without a graph, non-scalar backward, unknown operators, wrong argument types', () => {
  tidy(() => {
    throwsClearly(() => ones([2]).sum().backward(), /does not require grad and does not have a grad_fn/);
    throwsClearly(() => ones([2], { requiresGrad: true }).mul(2).backward(), /backward\(\): the tensor has shape \[2\]; pass a gradient/);
    throwsClearly(() => autograd.grad(ones([1], { requiresGrad: true }).sum(), []), /no inputs given/);
    throwsClearly(() => call(aten('definitely_not_an_op')), /unknown operator aten::definitely_not_an_op in this libtorch build/);
    throwsClearly(() => ones([2]).add('x' as unknown as number), /add.Scalar: argument 'other' must be a number/);
    throwsClearly(() => call(aten('add', 'Tensor'), ones([1])), /add.Tensor: missing argument 'other'/);
    throwsClearly(() => call(aten('neg'), ones([1]), 1, 2), /neg: 3 arguments given, at most 1 accepted/);
  });
});

test('after all these errors the engine still works and nothing leaked', () => {
  const before = baselineMemory();
  for (let i = 0; i < 50; i++) {
    assert.throws(() => tidy(() => ones([2, 3]).matmul(ones([2, 3]))));
    assert.throws(() => tidy(() => crossEntropy(ones([4, 3]), ones([4]))));
    assert.throws(() => tidy(() => tensor([[1], [2, 3]])));
  }
  assert.deepEqual(memory(), before);
  tidy(() => {
    manualSeed(0);
    assert.equal(ones([2, 2]).matmul(ones([2, 2])).sum().item(), 8);
  });
});

test('a rejected option leaks nothing, even outside tidy', () => {
  const before = baselineMemory();
  assert.throws(() => tensor([1, 2], { device: 'cuda' }), /not available/);
  assert.throws(() => tensor(new Float32Array(2), { device: 'tpu' as Device }), /unknown device/);
  assert.throws(() => tensor(new Float32Array(2), { dtype: 'float128' as DType }), /unknown dtype/);
  assert.throws(() => zeros([2], { device: 'cuda' }), /not available/);
  assert.deepEqual(memory(), before);
});
