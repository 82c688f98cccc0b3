// Neural-network functions against hand-computed values: convolutions, pooling, resizing, normalisation,
// activations and losses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adaptiveAvgPool2d, arange, avgPool2d, batchNorm, binaryCrossEntropyWithLogits, conv2d, convTranspose2d, cosineSimilarity, crossEntropy,
  dropout, elu, gelu, groupNorm, interpolate, klDiv, l1Loss, layerNorm, leakyRelu, linear, logSigmoid, logSoftmax, manualSeed, maxPool2d,
  maxPool2dWithIndices, memory, mseLoss, nllLoss, ones, oneHot, randn, relu, silu, softmax, softplus, tensor, tidy, zeros,
} from '../../src/index.js';
import { assertClose, assertTensor } from './helpers.js';
import { baselineMemory } from '../baseline.js';

const f32 = { dtype: 'float32' } as const;
const f64 = { dtype: 'float64' } as const;
const grid3 = (): ReturnType<typeof tensor> => tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]], f64);

test('conv2d: a 2x2 kernel on a 3x3 image, with bias, padding/stride, two input channels, groups', () => {
  tidy(() => {
    const w = tensor([[[[1, 2], [3, 4]]]], f64);
    // out[i][j] = x[i][j] + 2 x[i][j+1] + 3 x[i+1][j] + 4 x[i+1][j+1] (cross-correlation, as PyTorch)
    assertTensor(conv2d(grid3(), w), [[[[37, 47], [67, 77]]]]);
    assertTensor(conv2d(grid3(), w, tensor([1], f64)), [[[[38, 48], [68, 78]]]]);
    // padding 1, stride 2: the windows at (-1,-1), (-1,1), (1,-1), (1,1)
    assertTensor(conv2d(grid3(), w, null, { padding: 1, stride: 2 }), [[[[4, 18], [36, 77]]]]);
    assertTensor(conv2d(grid3(), w, null, { dilation: 2 }), [[[[1 + 2 * 3 + 3 * 7 + 4 * 9]]]]);
    // a second input channel of ones under an all-ones kernel adds 4 everywhere
    const x2 = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 1, 1], [1, 1, 1], [1, 1, 1]]]], f64);
    const w2 = tensor([[[[1, 2], [3, 4]], [[1, 1], [1, 1]]]], f64);
    assertTensor(conv2d(x2, w2), [[[[41, 51], [71, 81]]]]);
    // groups = 2: each channel convolved with its own kernel
    const wg = tensor([[[[1, 2], [3, 4]]], [[[0, 0], [0, -1]]]], f64);
    assertTensor(conv2d(x2, wg, null, { groups: 2 }), [[[[37, 47], [67, 77]], [[-1, -1], [-1, -1]]]]);
  });
});

test('convTranspose2d scatters each input through the kernel (stride 1 and 2)', () => {
  tidy(() => {
    const x = tensor([[[[1, 2], [3, 4]]]], f64);
    const w = ones([1, 1, 2, 2], f64);
    assertTensor(convTranspose2d(x, w), [[[[1, 3, 2], [4, 10, 6], [3, 7, 4]]]]);
    assertTensor(convTranspose2d(x, w, tensor([1], f64), { stride: 2 }), [[[[2, 2, 3, 3], [2, 2, 3, 3], [4, 4, 5, 5], [4, 4, 5, 5]]]]);
    assert.deepEqual(convTranspose2d(x, w, null, { stride: 2, outputPadding: 1 }).shape, [1, 1, 5, 5]);
  });
});

test('linear = x Wᵀ + b', () => {
  tidy(() => {
    const w = tensor([[1, 0], [0, 1], [1, 1]], f32);
    assertTensor(linear(tensor([[1, 2]], f32), w, tensor([0, 0, 1], f32)), [[1, 2, 4]]);
    assertTensor(linear(tensor([[1, 2], [3, 4]], f32), w), [[1, 2, 3], [3, 4, 7]]);
  });
});

test('batchNorm: training normalises with batch stats and updates running stats; eval uses running stats', () => {
  tidy(() => {
    const x = tensor([[1], [2], [3], [4]], f64); // mean 2.5, biased var 1.25, unbiased var 5/3
    const rm = zeros([1], f64);
    const rv = ones([1], f64);
    const y = batchNorm(x, rm, rv, { training: true, weight: tensor([2], f64), bias: tensor([1], f64) });
    const s = Math.sqrt(1.25 + 1e-5);
    assertClose(y, [[1 + (2 * -1.5) / s], [1 + (2 * -0.5) / s], [1 + (2 * 0.5) / s], [1 + (2 * 1.5) / s]], 1e-12);
    assertClose(rm, [0.25], 1e-12); // 0.9·0 + 0.1·2.5
    assertClose(rv, [0.9 + 0.1 * (5 / 3)], 1e-12); // running var uses the unbiased estimate
    const e = batchNorm(x, rm, rv, { training: false });
    assertClose(e, [1, 2, 3, 4].map((v) => [(v - 0.25) / Math.sqrt(rv.item() + 1e-5)]), 1e-12);
    assertClose(rm, [0.25], 1e-12); // eval leaves the running stats alone
    // 4-d input: statistics per channel over N, H, W
    const img = tensor([[[[0, 2]], [[10, 10]]]], f64);
    assertClose(batchNorm(img, null, null, { training: true, eps: 0 }), [[[[-1, 1]], [[0, 0]]]], 1e-12);
    assert.throws(() => batchNorm(x, null, null), /running statistics/);
  });
});

test('groupNorm and layerNorm normalise over the right axes', () => {
  tidy(() => {
    const x = tensor([[[[1]], [[2]], [[3]], [[4]]]], f64); // [1, 4, 1, 1], two groups {1,2} {3,4}: mean ±0.5, var 0.25
    const k = 0.5 / Math.sqrt(0.25 + 1e-5);
    assertClose(groupNorm(x, 2), [[[[-k]], [[k]], [[-k]], [[k]]]], 1e-12);
    assertClose(groupNorm(x, 2, tensor([1, 2, 3, 4], f64), tensor([0, 0, 0, 1], f64)), [[[[-k]], [[2 * k]], [[-3 * k]], [[4 * k + 1]]]], 1e-12);
    const l = 1 / Math.sqrt(2 / 3 + 1e-5);
    assertClose(layerNorm(tensor([[1, 2, 3], [5, 5, 5]], f64), [3]), [[-l, 0, l], [0, 0, 0]], 1e-12);
    assertClose(layerNorm(tensor([[1, 2, 3]], f64), [3], tensor([1, 1, 2], f64), tensor([0, 1, 0], f64)), [[-l, 1, 2 * l]], 1e-12);
  });
});

test('dropout: zeros about p of the entries and scales the rest by 1/(1-p); identity when not training', () => {
  tidy(() => {
    manualSeed(5);
    const x = ones([10000], f32);
    const y = dropout(x, 0.3);
    const kept = y.ne(0).sum().item();
    assert.ok(Math.abs(kept / 10000 - 0.7) < 0.02, `kept fraction ${kept / 10000}`);
    assertClose(y.maskedSelect(y.ne(0)).mean(), 1 / 0.7, 1e-6);
    assert.ok(dropout(x, 0.3, false).equal(x));
    assert.ok(dropout(x, 0).equal(x));
    assert.equal(dropout(x, 1).abs().sum().item(), 0);
    assert.throws(() => dropout(x, 1.5), /p must be in \[0, 1\]/);
  });
});

test('maxPool2d, maxPool2dWithIndices, avgPool2d, adaptiveAvgPool2d', () => {
  tidy(() => {
    const x = arange(16, undefined, 1, f64).reshape(1, 1, 4, 4);
    assertTensor(maxPool2d(x, 2), [[[[5, 7], [13, 15]]]]);
    assertTensor(maxPool2d(x, 3, { stride: 1 }), [[[[10, 11], [14, 15]]]]);
    assertTensor(maxPool2d(grid3(), 2, { stride: 2, padding: 1 }), [[[[1, 3], [7, 9]]]]);
    assertTensor(maxPool2d(grid3(), 2, { ceilMode: true }), [[[[5, 6], [8, 9]]]]);
    assertTensor(maxPool2d(grid3(), 2), [[[[5]]]]);
    const [v, i] = maxPool2dWithIndices(tensor([[[[1, 9], [4, 3]]]], f32), 2);
    assertTensor(v, [[[[9]]]]);
    assertTensor(i, [[[[1]]]], 'int64');
    assertTensor(avgPool2d(x, 2), [[[[2.5, 4.5], [10.5, 12.5]]]]);
    assertTensor(avgPool2d(grid3(), 2, { stride: 2, padding: 1 }), [[[[0.25, 1.25], [2.75, 7]]]]);
    assertTensor(avgPool2d(grid3(), 2, { stride: 2, padding: 1, countIncludePad: false }), [[[[1, 2.5], [5.5, 7]]]]);
    assertTensor(adaptiveAvgPool2d(x, 1), [[[[7.5]]]]);
    assertTensor(adaptiveAvgPool2d(x, [2, 2]), [[[[2.5, 4.5], [10.5, 12.5]]]]);
    assertTensor(adaptiveAvgPool2d(grid3(), [1, 3]), [[[[4, 5, 6]]]]);
  });
});

test('interpolate: nearest and bilinear (alignCorners false and true), by size or scale factor', () => {
  tidy(() => {
    const x = tensor([[[[1, 2], [3, 4]]]], f64);
    assertTensor(interpolate(x, { scaleFactor: 2 }), [[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]);
    assertTensor(interpolate(x, { size: [1, 3], mode: 'nearest' }), [[[[1, 1, 2]]]]);
    assertClose(interpolate(x, { scaleFactor: 2, mode: 'bilinear' }), [[[
      [1, 1.25, 1.75, 2], [1.5, 1.75, 2.25, 2.5], [2.5, 2.75, 3.25, 3.5], [3, 3.25, 3.75, 4],
    ]]], 1e-12);
    assertClose(interpolate(x, { size: 3, mode: 'bilinear', alignCorners: true }), [[[[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]]]], 1e-12);
    assert.throws(() => interpolate(x, {}), /exactly one of size and scaleFactor/);
  });
});

test('activations: relu, silu, gelu (exact and tanh), leakyRelu, softplus, elu, logSigmoid', () => {
  tidy(() => {
    const x = tensor([-2, 0, 1], f64);
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    assertClose(relu(x), [0, 0, 1]);
    assertClose(silu(x), [-2 * sig(-2), 0, sig(1)], 1e-12);
    assertClose(gelu(x), [-0.04550026389635842, 0, 0.8413447460685429], 1e-12); // x Φ(x)
    assertClose(gelu(tensor([1], f64), 'tanh'), [0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (1 + 0.044715)))], 1e-12);
    assertClose(leakyRelu(x), [-0.02, 0, 1], 1e-12);
    assertClose(leakyRelu(x, 0.5), [-1, 0, 1], 1e-12);
    assertClose(softplus(x), [Math.log1p(Math.exp(-2)), Math.LN2, Math.log1p(Math.E)], 1e-12);
    assertClose(elu(x), [Math.exp(-2) - 1, 0, 1], 1e-12);
    assertClose(logSigmoid(x), [Math.log(sig(-2)), -Math.LN2, Math.log(sig(1))], 1e-12);
    assertClose(cosineSimilarity(tensor([[1, 0], [1, 1]], f64), tensor([[0, 1], [2, 2]], f64)), [0, 1], 1e-12);
    assertTensor(oneHot(tensor([2, 0]), 3), [[0, 0, 1], [1, 0, 0]], 'int64');
  });
});

test('softmax and logSoftmax along a dim, stable for large logits', () => {
  tidy(() => {
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    const p = [Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z];
    assertClose(softmax(tensor([[1, 2, 3]], f64), 1), [p], 1e-12);
    assertClose(logSoftmax(tensor([[1, 2, 3]], f64), 1), [p.map(Math.log)], 1e-12);
    assertClose(softmax(tensor([[1, 1], [3, 3]], f64), 0), [[1 / (1 + Math.exp(2)), 1 / (1 + Math.exp(2))], [1 / (1 + Math.exp(-2)), 1 / (1 + Math.exp(-2))]], 1e-12);
    assertClose(softmax(tensor([1000, 1000], f64), 0), [0.5, 0.5]);
    assertClose(logSoftmax(tensor([1000, 0], f64), 0), [0, -1000], 1e-12);
  });
});

// Reference cross-entropy written out from the definition, for the loss tests below.
function logSoftmaxRows(rows: number[][]): number[][] {
  return rows.map((r) => {
    const m = Math.max(...r);
    const lse = m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
    return r.map((v) => v - lse);
  });
}

test('crossEntropy: reductions, class weights, ignoreIndex, label smoothing, probability targets', () => {
  tidy(() => {
    const rows = [[1, 2, 3], [1, 1, 1], [0.5, -1, 2]];
    const y = [2, 0, 1];
    const lp = logSoftmaxRows(rows);
    const nll = y.map((c, i) => -lp[i]![c]!);
    const logits = tensor(rows, f64);
    const target = tensor(y);
    assertClose(crossEntropy(logits, target, { reduction: 'none' }), nll, 1e-12);
    assertClose(crossEntropy(logits, target), (nll[0]! + nll[1]! + nll[2]!) / 3, 1e-12);
    assertClose(crossEntropy(logits, target, { reduction: 'sum' }), nll[0]! + nll[1]! + nll[2]!, 1e-12);
    // class weights: the mean divides by the sum of the weights of the targets
    const w = [1, 2, 0.5];
    const weighted = (w[2]! * nll[0]! + w[0]! * nll[1]! + w[1]! * nll[2]!) / (w[2]! + w[0]! + w[1]!);
    assertClose(crossEntropy(logits, target, { weight: tensor(w, f64) }), weighted, 1e-12);
    // ignoreIndex drops a sample from the sum and the count
    assertClose(crossEntropy(logits, tensor([2, -100, 1])), (nll[0]! + nll[2]!) / 2, 1e-12);
    assertClose(crossEntropy(logits, tensor([2, 7, 1]), { ignoreIndex: 7 }), (nll[0]! + nll[2]!) / 2, 1e-12);
    // label smoothing ε: (1 - ε)·nll + ε/C · Σ_c (−log p_c)
    const eps = 0.1;
    const smooth = lp.map((r, i) => (1 - eps) * nll[i]! + (eps / 3) * r.reduce((s, v) => s - v, 0));
    assertClose(crossEntropy(logits, target, { labelSmoothing: eps, reduction: 'none' }), smooth, 1e-12);
    assertClose(crossEntropy(logits, target, { labelSmoothing: eps }), (smooth[0]! + smooth[1]! + smooth[2]!) / 3, 1e-12);
    // probability targets: −Σ_c q_c log p_c, averaged over the batch
    const q = [[0.2, 0.3, 0.5], [1, 0, 0], [0, 0.5, 0.5]];
    const soft = lp.map((r, i) => -r.reduce((s, v, c) => s + q[i]![c]! * v, 0));
    assertClose(crossEntropy(logits, tensor(q, f64), { reduction: 'none' }), soft, 1e-12);
    assertClose(crossEntropy(logits, tensor(q, f64)), (soft[0]! + soft[1]! + soft[2]!) / 3, 1e-12);
    // one-hot probability targets equal class-index targets
    assertClose(crossEntropy(logits, oneHot(target, 3).double()), crossEntropy(logits, target).item(), 1e-12);
    // spatial input [N, C, H, W] with [N, H, W] targets
    const img = logits.t().reshape(1, 3, 3, 1); // pixel i has logits rows[i]
    assertClose(crossEntropy(img, target.reshape(1, 3, 1), { reduction: 'none' }), [[[nll[0]!], [nll[1]!], [nll[2]!]]], 1e-12);
  });
});

test('nllLoss, mseLoss, l1Loss', () => {
  tidy(() => {
    const lp = tensor([[-1, -2], [-3, -0.5]], f64);
    assertClose(nllLoss(lp, tensor([1, 0])), 2.5);
    assertClose(nllLoss(lp, tensor([1, 0]), { reduction: 'sum' }), 5);
    assertClose(nllLoss(lp, tensor([1, 0]), { reduction: 'none' }), [2, 3]);
    assertClose(nllLoss(lp, tensor([1, 0]), { weight: tensor([1, 3], f64) }), (3 * 2 + 1 * 3) / 4);
    const a = tensor([1, 2, 3], f64);
    const b = tensor([1, 0, 0], f64);
    assertClose(mseLoss(a, b), 13 / 3, 1e-12);
    assertClose(mseLoss(a, b, 'sum'), 13);
    assertClose(mseLoss(a, b, 'none'), [0, 4, 9]);
    assertClose(l1Loss(a, b), 5 / 3, 1e-12);
  });
});

test('klDiv: pointwise p (log p − input); sum, mean (over elements) and batchmean (over rows); logTarget', () => {
  tidy(() => {
    const input = tensor([[0.5, 0.5], [0.5, 0.5]], f64).log();
    const p = tensor([[0.25, 0.75], [0.5, 0.5]], f64);
    const row0 = 0.25 * Math.log(0.25 / 0.5) + 0.75 * Math.log(0.75 / 0.5);
    assertClose(klDiv(input, p, 'none'), [[0.25 * Math.log(0.5), 0.75 * Math.log(1.5)], [0, 0]], 1e-12);
    assertClose(klDiv(input, p, 'sum'), row0, 1e-12);
    assertClose(klDiv(input, p, 'batchmean'), row0 / 2, 1e-12);
    assertClose(klDiv(input, p), row0 / 4, 1e-12);
    assertClose(klDiv(input, p.log(), 'batchmean', true), row0 / 2, 1e-12);
  });
});

test('binaryCrossEntropyWithLogits: reductions, weight and posWeight', () => {
  tidy(() => {
    const x = tensor([0, 2, -1], f64);
    const y = tensor([1, 0, 1], f64);
    const l = [Math.LN2, Math.log1p(Math.exp(2)), Math.log1p(Math.E)];
    assertClose(binaryCrossEntropyWithLogits(x, y, { reduction: 'none' }), l, 1e-12);
    assertClose(binaryCrossEntropyWithLogits(x, y), (l[0]! + l[1]! + l[2]!) / 3, 1e-12);
    assertClose(binaryCrossEntropyWithLogits(x, y, { reduction: 'sum', weight: tensor([1, 0, 2], f64) }), l[0]! + 2 * l[2]!, 1e-12);
    assertClose(binaryCrossEntropyWithLogits(x, y, { reduction: 'none', posWeight: tensor([2], f64) }), [2 * l[0]!, l[1]!, 2 * l[2]!], 1e-12);
    assertClose(binaryCrossEntropyWithLogits(tensor([100, -100], f64), tensor([1, 0], f64)), 0, 1e-12); // stable
  });
});

test('nn functions leave nothing behind inside tidy', () => {
  const before = baselineMemory();
  tidy(() => {
    const x = randn([2, 3, 8, 8]);
    const w = randn([4, 3, 3, 3]);
    const y = maxPool2d(relu(conv2d(x, w, null, { padding: 1 })), 2);
    crossEntropy(linear(y.flatten(1), randn([5, 64])), tensor([1, 4])).item();
  });
  assert.deepEqual(memory(), before);
});
