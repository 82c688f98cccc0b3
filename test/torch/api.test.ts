// The public surface promised by issue 3: every op is importable from the package root (src/index.ts, and by
// the package's own name 'lethe'), and Tensor carries the PyTorch method names in camelCase.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as lethe from '../../src/index.js';

const freeFunctions = [
  // creation
  'tensor', 'fromBuffer', 'zeros', 'ones', 'full', 'empty', 'arange', 'linspace', 'eye', 'rand', 'randn', 'randint', 'randperm',
  'zerosLike', 'onesLike', 'fullLike', 'randnLike', 'randLike', 'scalar',
  // elementwise and combinators
  'where', 'clamp', 'abs', 'sign', 'exp', 'log', 'sqrt', 'pow', 'sigmoid', 'tanh', 'maximum', 'minimum', 'cat', 'stack', 'split',
  'chunk', 'pad', 'reshape', 'flatten', 'transpose', 'permute', 'squeeze', 'unsqueeze', 'narrow', 'flip', 'indexSelect', 'gather',
  'scatter', 'scatterAdd', 'scatterReduce', 'maskedSelect', 'maskedFill', 'tril', 'triu',
  // reductions and ordering
  'sum', 'mean', 'max', 'min', 'amax', 'amin', 'argmax', 'argmin', 'prod', 'std', 'norm', 'logsumexp', 'cumsum', 'topk', 'kthvalue',
  'sort', 'argsort',
  // linear algebra
  'matmul', 'mm', 'bmm', 'einsum', 'outer', 'dot',
  // nn
  'conv2d', 'convTranspose2d', 'linear', 'batchNorm', 'groupNorm', 'layerNorm', 'dropout', 'maxPool2d', 'maxPool2dWithIndices',
  'avgPool2d', 'adaptiveAvgPool2d', 'interpolate', 'relu', 'silu', 'gelu', 'leakyRelu', 'softplus', 'elu', 'logSigmoid', 'softmax',
  'logSoftmax', 'oneHot', 'cosineSimilarity', 'crossEntropy', 'nllLoss', 'mseLoss', 'l1Loss', 'klDiv', 'binaryCrossEntropyWithLogits',
  // autograd, memory, runtime
  'noGrad', 'enableGrad', 'isGradEnabled', 'noGradGuard', 'tidy', 'keep', 'manualSeed', 'setNumThreads', 'getNumThreads', 'memory',
] as const;

const linalgFunctions = ['svd', 'svdvals', 'qr', 'norm', 'vectorNorm', 'matrixNorm', 'inv', 'solve', 'det', 'slogdet', 'eigh', 'eigvalsh', 'cholesky', 'pinv', 'matrixRank', 'multiDot'] as const;

const tensorMethods = [
  'dispose', 'toTypedArray', 'item', 'toArray', 'to', 'float', 'double', 'long', 'int', 'bool', 'cpu', 'clone', 'contiguous', 'detach',
  'requiresGrad_', 'backward', 'add', 'sub', 'mul', 'div', 'remainder', 'fmod', 'pow', 'maximum', 'minimum', 'neg', 'abs', 'sign', 'exp',
  'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sigmoid', 'tanh', 'sin', 'cos', 'floor', 'ceil', 'round', 'relu',
  'erf', 'clamp', 'clampMin', 'clampMax', 'lerp', 'isnan', 'isinf', 'isfinite', 'nanToNum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge',
  'logicalAnd', 'logicalOr', 'logicalXor', 'logicalNot', 'where', 'allclose', 'equal', 'sum', 'mean', 'prod', 'max', 'min', 'maxDim',
  'minDim', 'amax', 'amin', 'argmax', 'argmin', 'std', 'var', 'norm', 'logsumexp', 'cumsum', 'cumprod', 'any', 'all', 'topk',
  'kthvalue', 'sort', 'argsort', 'trace', 'reshape', 'view', 'permute', 'transpose', 't', 'flatten', 'unflatten', 'squeeze',
  'unsqueeze', 'expand', 'expandAs', 'split', 'chunk', 'narrow', 'slice', 'select', 'indexSelect', 'index', 'indexPut', 'gather',
  'scatter', 'scatterAdd', 'scatterReduce', 'indexAdd', 'indexCopy', 'indexFill', 'maskedSelect', 'maskedFill', 'maskedScatter',
  'flip', 'roll', 'repeat', 'tile', 'tril', 'triu', 'diag', 'movedim', 'typeAs', 'nonzero', 'matmul', 'mm', 'bmm', 'dot', 'outer',
  'softmax', 'logSoftmax', 'add_', 'sub_', 'mul_', 'div_', 'addcmul_', 'addcdiv_', 'copy_', 'zero_', 'fill_', 'clamp_',
  'maskedFill_', 'maskedScatter_', 'scatter_', 'scatterAdd_', 'indexAdd_', 'indexFill_', 'indexPut_', 'lerp_', 'sqrt_', 'pow_',
  'exp_', 'neg_', 'abs_', 'relu_', 'uniform_', 'normal_', 'isFloatingPoint',
] as const;

test('every free function of issue 3 is exported from src/index.ts', () => {
  const api = lethe as unknown as Record<string, unknown>;
  const missing = freeFunctions.filter((name) => typeof api[name] !== 'function');
  assert.deepEqual(missing, []);
  const missingLinalg = linalgFunctions.filter((name) => typeof (lethe.linalg as Record<string, unknown>)[name] !== 'function');
  assert.deepEqual(missingLinalg, []);
  assert.equal(typeof lethe.autograd.grad, 'function');
  assert.equal(typeof lethe.cuda.isAvailable, 'function');
  assert.equal(typeof lethe.Scope, 'function');
});

test('Tensor has the PyTorch methods in camelCase, plus Symbol.dispose for `using`', () => {
  const proto = lethe.Tensor.prototype as unknown as Record<string | symbol, unknown>;
  const missing = tensorMethods.filter((name) => typeof proto[name] !== 'function');
  assert.deepEqual(missing, []);
  assert.equal(typeof proto[Symbol.dispose], 'function');
  for (const getter of ['shape', 'ndim', 'dtype', 'device', 'requiresGrad', 'grad', 'isLeaf', 'gradFn', 'isDisposed']) {
    assert.ok(Object.getOwnPropertyDescriptor(lethe.Tensor.prototype, getter)?.get, `getter ${getter}`);
  }
});

test("the package imports by its own name, 'lethe', to the same module", async () => {
  const name = 'lethe'; // a variable, so TypeScript does not need the built declarations to compile this file
  const byName = (await import(name)) as typeof lethe;
  assert.equal(byName.Tensor, lethe.Tensor);
  assert.equal(byName.tidy, lethe.tidy);
});
