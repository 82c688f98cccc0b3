// Free functions: tensor combinators and the neural-network functions of torch.nn.functional.
import { aten } from './aten.js';
import { type DType, dtypeCode, isFloating } from './dtype.js';
import { call, callMany, type Reduction, reductionCode, type ScatterReduction, Tensor } from './tensor.js';

type Pair = number | readonly [number, number];
const pair = (x: Pair): readonly number[] => (typeof x === 'number' ? [x, x] : x);

// ---- combinators ------------------------------------------------------------------------------------------

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new RangeError('cat: expected at least one tensor');
  return call(aten('cat'), tensors, dim);
}
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new RangeError('stack: expected at least one tensor');
  return call(aten('stack'), tensors, dim);
}
/** where(condition, x, y): x where condition is true, y elsewhere. */
export function where(condition: Tensor, x: Tensor | number, y: Tensor | number): Tensor {
  if (x instanceof Tensor && y instanceof Tensor) return call(aten('where', 'self'), condition, x, y);
  if (x instanceof Tensor) return call(aten('where', 'ScalarOther'), condition, x, y);
  if (y instanceof Tensor) return call(aten('where', 'ScalarSelf'), condition, x, y);
  return call(aten('where', 'Scalar'), condition, x, y);
}
export function matmul(a: Tensor, b: Tensor): Tensor {
  return a.matmul(b);
}
export function mm(a: Tensor, b: Tensor): Tensor {
  return a.mm(b);
}
export function bmm(a: Tensor, b: Tensor): Tensor {
  return a.bmm(b);
}
export function outer(a: Tensor, b: Tensor): Tensor {
  return a.outer(b);
}
export function dot(a: Tensor, b: Tensor): Tensor {
  return a.dot(b);
}
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  return call(aten('einsum'), equation, operands, null);
}
export function maximum(a: Tensor, b: Tensor): Tensor {
  return a.maximum(b);
}
export function minimum(a: Tensor, b: Tensor): Tensor {
  return a.minimum(b);
}
export function clamp(t: Tensor, min: number | Tensor | null, max: number | Tensor | null = null): Tensor {
  return t.clamp(min, max);
}
export function abs(t: Tensor): Tensor {
  return t.abs();
}
export function sign(t: Tensor): Tensor {
  return t.sign();
}
export function exp(t: Tensor): Tensor {
  return t.exp();
}
export function log(t: Tensor): Tensor {
  return t.log();
}
export function sqrt(t: Tensor): Tensor {
  return t.sqrt();
}
export function pow(t: Tensor, exponent: Tensor | number): Tensor {
  return t.pow(exponent);
}
export function sigmoid(t: Tensor): Tensor {
  return t.sigmoid();
}
export function tanh(t: Tensor): Tensor {
  return t.tanh();
}
export function sum(t: Tensor, dim?: number | readonly number[], keepdim = false, dtype?: DType): Tensor {
  return t.sum(dim, keepdim, dtype);
}
export function mean(t: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return t.mean(dim, keepdim);
}
export function logsumexp(t: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
  return t.logsumexp(dim, keepdim);
}
/** Pads the last dims: pad = [left, right, top, bottom, ...] as in F.pad. Modes: constant, reflect, replicate, circular. */
export function pad(t: Tensor, padding: readonly number[], mode: 'constant' | 'reflect' | 'replicate' | 'circular' = 'constant', value = 0): Tensor {
  if (mode === 'constant') return call(aten('constant_pad_nd'), t, padding, value);
  const dims = padding.length / 2;
  const op = { reflect: 'reflection_pad', replicate: 'replication_pad', circular: '' }[mode];
  if (mode === 'circular') return call(aten('_pad_circular'), t, padding);
  return call(aten(`${op}${dims}d`), t, padding);
}

// ---- neural-network functions -----------------------------------------------------------------------------

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}
export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, o: Conv2dOptions = {}): Tensor {
  return call(aten('conv2d'), input, weight, bias, pair(o.stride ?? 1), pair(o.padding ?? 0), pair(o.dilation ?? 1), o.groups ?? 1);
}
export function convTranspose2d(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  o: Conv2dOptions & { outputPadding?: Pair } = {},
): Tensor {
  return call(
    aten('conv_transpose2d', 'input'),
    input,
    weight,
    bias,
    pair(o.stride ?? 1),
    pair(o.padding ?? 0),
    pair(o.outputPadding ?? 0),
    o.groups ?? 1,
    pair(o.dilation ?? 1),
  );
}
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return call(aten('linear'), input, weight, bias);
}
export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}
/** Batch normalisation; in training mode the running statistics (if given) are updated in place, as in PyTorch. */
export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, o: BatchNormOptions = {}): Tensor {
  const training = o.training ?? false;
  if (!training && (runningMean === null || runningVar === null)) {
    throw new Error('batchNorm: evaluation mode needs running statistics (or pass training: true)');
  }
  return call(aten('batch_norm'), input, o.weight ?? null, o.bias ?? null, runningMean, runningVar, training, o.momentum ?? 0.1, o.eps ?? 1e-5, false);
}
export function groupNorm(input: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  return call(aten('group_norm'), input, numGroups, weight, bias, eps, false);
}
export function layerNorm(input: Tensor, normalizedShape: readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  return call(aten('layer_norm'), input, normalizedShape, weight, bias, eps, false);
}
export function dropout(input: Tensor, p = 0.5, training = true): Tensor {
  if (p < 0 || p > 1) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  return call(aten('dropout'), input, p, training);
}
export interface Pool2dOptions {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
}
export function maxPool2d(input: Tensor, kernelSize: Pair, o: Pool2dOptions & { dilation?: Pair } = {}): Tensor {
  return call(aten('max_pool2d'), input, pair(kernelSize), pair(o.stride ?? kernelSize), pair(o.padding ?? 0), pair(o.dilation ?? 1), o.ceilMode ?? false);
}
export function avgPool2d(input: Tensor, kernelSize: Pair, o: Pool2dOptions & { countIncludePad?: boolean } = {}): Tensor {
  return call(aten('avg_pool2d'), input, pair(kernelSize), pair(o.stride ?? kernelSize), pair(o.padding ?? 0), o.ceilMode ?? false, o.countIncludePad ?? true, null);
}
/** Max pooling that also returns the flat (per-plane) index of each maximum: [values, indices]. */
export function maxPool2dWithIndices(input: Tensor, kernelSize: Pair, o: Pool2dOptions & { dilation?: Pair } = {}): [Tensor, Tensor] {
  return callMany(
    aten('max_pool2d_with_indices'),
    input,
    pair(kernelSize),
    pair(o.stride ?? kernelSize),
    pair(o.padding ?? 0),
    pair(o.dilation ?? 1),
    o.ceilMode ?? false,
  ) as [Tensor, Tensor];
}
export function adaptiveAvgPool2d(input: Tensor, outputSize: Pair): Tensor {
  return call(aten('adaptive_avg_pool2d'), input, pair(outputSize));
}
export interface InterpolateOptions {
  size?: Pair;
  scaleFactor?: number | readonly [number, number];
  mode?: 'nearest' | 'bilinear';
  alignCorners?: boolean;
}
export function interpolate(input: Tensor, o: InterpolateOptions): Tensor {
  if ((o.size === undefined) === (o.scaleFactor === undefined)) throw new Error('interpolate: give exactly one of size and scaleFactor');
  const size = o.size === undefined ? null : pair(o.size);
  const scales = o.scaleFactor === undefined ? null : typeof o.scaleFactor === 'number' ? [o.scaleFactor, o.scaleFactor] : o.scaleFactor;
  if ((o.mode ?? 'nearest') === 'nearest') return call(aten('upsample_nearest2d', 'vec'), input, size, scales);
  return call(aten('upsample_bilinear2d', 'vec'), input, size, o.alignCorners ?? false, scales);
}
export function relu(x: Tensor): Tensor {
  return x.relu();
}
export function silu(x: Tensor): Tensor {
  return call(aten('silu'), x);
}
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return call(aten('gelu'), x, approximate);
}
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return call(aten('leaky_relu'), x, negativeSlope);
}
export function softmax(x: Tensor, dim: number): Tensor {
  return x.softmax(dim);
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return x.logSoftmax(dim);
}
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  return call(aten('softplus'), x, beta, threshold);
}
export function elu(x: Tensor, alpha = 1): Tensor {
  return call(aten('elu'), x, alpha, 1, 1);
}
export function logSigmoid(x: Tensor): Tensor {
  return call(aten('log_sigmoid'), x);
}
export function cosineSimilarity(a: Tensor, b: Tensor, dim = 1, eps = 1e-8): Tensor {
  return call(aten('cosine_similarity'), a, b, dim, eps);
}
export function oneHot(labels: Tensor, numClasses = -1): Tensor {
  return call(aten('one_hot'), labels, numClasses);
}

// ---- losses -----------------------------------------------------------------------------------------------

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * libtorch's own messages for a bad classification target ("expected scalar type Long but found Float",
 * "0D or 1D target tensor expected") do not say what the caller should pass; these do.
 */
function checkClassTarget(what: string, input: Tensor, target: Tensor, allowProbabilities: boolean): void {
  const is = input.shape;
  const ts = target.shape;
  if (is.length === 0) throw new Error(`${what}: input must have shape [N, C, ...] or [C], got a scalar`);
  const indexShape = is.length === 1 ? [] : [is[0]!, ...is.slice(2)];
  if (isFloating(target.dtype)) {
    if (!allowProbabilities) {
      throw new TypeError(`${what}: target must hold int64 class indices of shape ${fmt(indexShape)}, got ${target.dtype}; convert with target.long()`);
    }
    if (!sameShape(ts, is)) {
      throw new Error(
        `${what}: a floating-point target is read as class probabilities and must have the input's shape ${fmt(is)}, ` +
          `got ${fmt(ts)}; for class indices pass an int64 tensor of shape ${fmt(indexShape)}`,
      );
    }
    return;
  }
  if (target.dtype !== 'int64') {
    throw new TypeError(`${what}: class-index targets must be int64, got ${target.dtype}; convert with target.long()`);
  }
  if (!sameShape(ts, indexShape)) {
    throw new Error(`${what}: class-index target has shape ${fmt(ts)} but input ${fmt(is)} needs ${fmt(indexShape)}`);
  }
}

/** PyTorch only warns here, but a [N] vs [N, 1] mismatch silently broadcasts to [N, N]: a bug in practice. */
function checkSameShape(what: string, input: Tensor, target: Tensor): void {
  if (!sameShape(input.shape, target.shape)) {
    throw new Error(`${what}: input ${fmt(input.shape)} and target ${fmt(target.shape)} must have the same shape (reshape one; broadcasting here is almost always a bug)`);
  }
}

export interface CrossEntropyOptions {
  reduction?: Reduction;
  labelSmoothing?: number;
  weight?: Tensor | null;
  ignoreIndex?: number;
}
/**
 * Cross-entropy of logits [N, C, ...] against class indices [N, ...] (int64) or class probabilities
 * [N, C, ...] (float), with optional label smoothing, exactly as F.cross_entropy.
 */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  checkClassTarget('crossEntropy', logits, target, true);
  return call(
    aten('cross_entropy_loss'),
    logits,
    target,
    o.weight ?? null,
    reductionCode(o.reduction ?? 'mean'),
    o.ignoreIndex ?? -100,
    o.labelSmoothing ?? 0,
  );
}
export function nllLoss(logProbs: Tensor, target: Tensor, o: Omit<CrossEntropyOptions, 'labelSmoothing'> = {}): Tensor {
  checkClassTarget('nllLoss', logProbs, target, false);
  return call(aten('nll_loss_nd'), logProbs, target, o.weight ?? null, reductionCode(o.reduction ?? 'mean'), o.ignoreIndex ?? -100);
}
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkSameShape('mseLoss', input, target);
  return call(aten('mse_loss'), input, target, reductionCode(reduction));
}
export function l1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkSameShape('l1Loss', input, target);
  return call(aten('l1_loss'), input, target, reductionCode(reduction));
}
/**
 * KL divergence with input = log-probabilities, as F.kl_div. 'batchmean' divides the sum by the batch size
 * (the mathematically correct KL; PyTorch's 'mean' averages over all elements).
 */
export function klDiv(input: Tensor, target: Tensor, reduction: Reduction | 'batchmean' = 'mean', logTarget = false): Tensor {
  if (reduction === 'batchmean') {
    const total = call(aten('kl_div'), input, target, reductionCode('sum'), logTarget);
    const out = total.div(input.shape[0] ?? 1);
    total.dispose();
    return out;
  }
  return call(aten('kl_div'), input, target, reductionCode(reduction), logTarget);
}
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  o: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  return call(aten('binary_cross_entropy_with_logits'), input, target, o.weight ?? null, o.posWeight ?? null, reductionCode(o.reduction ?? 'mean'));
}

/** [values, indices] helpers as free functions. */
export function topk(t: Tensor, k: number, dim = -1, largest = true, sorted = true): [Tensor, Tensor] {
  return t.topk(k, dim, largest, sorted);
}
export function sort(t: Tensor, dim = -1, descending = false): [Tensor, Tensor] {
  return t.sort(dim, descending);
}
export function argsort(t: Tensor, dim = -1, descending = false): Tensor {
  return t.argsort(dim, descending);
}
export function split(t: Tensor, size: number | readonly number[], dim = 0): Tensor[] {
  return t.split(size, dim);
}
export function chunk(t: Tensor, chunks: number, dim = 0): Tensor[] {
  return callMany(aten('chunk'), t, chunks, dim);
}
export function cumsum(t: Tensor, dim: number, dtype?: DType): Tensor {
  return call(aten('cumsum'), t, dim, dtype === undefined ? null : dtypeCode(dtype));
}

// ---- torch.* free-function forms of Tensor methods (reductions, shapes, indexing) --------------------------

type Dims = number | readonly number[];
export function max(t: Tensor): Tensor {
  return t.max();
}
export function min(t: Tensor): Tensor {
  return t.min();
}
export function amax(t: Tensor, dim?: Dims, keepdim = false): Tensor {
  return t.amax(dim, keepdim);
}
export function amin(t: Tensor, dim?: Dims, keepdim = false): Tensor {
  return t.amin(dim, keepdim);
}
export function argmax(t: Tensor, dim?: number, keepdim = false): Tensor {
  return t.argmax(dim, keepdim);
}
export function argmin(t: Tensor, dim?: number, keepdim = false): Tensor {
  return t.argmin(dim, keepdim);
}
export function prod(t: Tensor, dim?: number, keepdim = false): Tensor {
  return t.prod(dim, keepdim);
}
export function std(t: Tensor, dim?: Dims, opts: { unbiased?: boolean; correction?: number; keepdim?: boolean } = {}): Tensor {
  return t.std(dim, opts);
}
/** Vector p-norm (torch.norm for vectors); see linalg.norm for matrix norms. */
export function norm(t: Tensor, p = 2, dim?: Dims, keepdim = false): Tensor {
  return t.norm(p, dim, keepdim);
}
export function kthvalue(t: Tensor, k: number, dim = -1, keepdim = false): [Tensor, Tensor] {
  return t.kthvalue(k, dim, keepdim);
}
export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  return t.reshape(shape);
}
export function flatten(t: Tensor, startDim = 0, endDim = -1): Tensor {
  return t.flatten(startDim, endDim);
}
export function transpose(t: Tensor, dim0: number, dim1: number): Tensor {
  return t.transpose(dim0, dim1);
}
export function permute(t: Tensor, dims: readonly number[]): Tensor {
  return t.permute(dims);
}
export function squeeze(t: Tensor, dim?: number): Tensor {
  return t.squeeze(dim);
}
export function unsqueeze(t: Tensor, dim: number): Tensor {
  return t.unsqueeze(dim);
}
export function narrow(t: Tensor, dim: number, start: number, length: number): Tensor {
  return t.narrow(dim, start, length);
}
export function flip(t: Tensor, dims: Dims): Tensor {
  return t.flip(dims);
}
export function indexSelect(t: Tensor, dim: number, index: Tensor): Tensor {
  return t.indexSelect(dim, index);
}
export function gather(t: Tensor, dim: number, index: Tensor): Tensor {
  return t.gather(dim, index);
}
export function scatter(t: Tensor, dim: number, index: Tensor, src: Tensor | number): Tensor {
  return t.scatter(dim, index, src);
}
export function scatterAdd(t: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  return t.scatterAdd(dim, index, src);
}
export function scatterReduce(t: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ScatterReduction, includeSelf = true): Tensor {
  return t.scatterReduce(dim, index, src, reduce, includeSelf);
}
export function maskedSelect(t: Tensor, mask: Tensor): Tensor {
  return t.maskedSelect(mask);
}
export function maskedFill(t: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  return t.maskedFill(mask, value);
}
export function tril(t: Tensor, diagonal = 0): Tensor {
  return t.tril(diagonal);
}
export function triu(t: Tensor, diagonal = 0): Tensor {
  return t.triu(diagonal);
}
