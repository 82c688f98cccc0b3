// Free functions: tensor combinators and the neural-network functions of torch.nn.functional.
import { aten } from './aten.js';
import { type DType, dtypeCode, isFloating } from './dtype.js';
import { call, callMany, type Reduction, reductionCode, type ScatterReduction, Tensor } from './tensor.js';

type Pair = number | readonly [number, number];
const pair = (x: Pair): readonly number[] => (typeof x === 'number' ? [x, x] : x);

// ---- combinators ------------------------------------------------------------------------------------------

/** Concatenates tensors of equal shape except along `dim` (default 0). Throws a RangeError on an empty list. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new RangeError('cat: expected at least one tensor');
  return call(aten('cat'), tensors, dim);
}
/** Stacks same-shape tensors along a new dimension `dim` (default 0). Throws a RangeError on an empty list. */
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
/** a.matmul(b): matrix product with broadcasting over batches. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return a.matmul(b);
}
/** a.mm(b): product of two 2-d matrices. */
export function mm(a: Tensor, b: Tensor): Tensor {
  return a.mm(b);
}
/** a.bmm(b): batched product of [b, n, m] and [b, m, p]. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  return a.bmm(b);
}
/** a.outer(b): outer product of two 1-d tensors. */
export function outer(a: Tensor, b: Tensor): Tensor {
  return a.outer(b);
}
/** a.dot(b): inner product of two 1-d tensors, as a 0-d tensor. */
export function dot(a: Tensor, b: Tensor): Tensor {
  return a.dot(b);
}
/** Einstein summation, as torch.einsum (e.g. einsum('ij,jk->ik', a, b)). */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  return call(aten('einsum'), equation, operands, null);
}
/** Elementwise maximum of two tensors (NaN if either is NaN). */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return a.maximum(b);
}
/** Elementwise minimum of two tensors (NaN if either is NaN). */
export function minimum(a: Tensor, b: Tensor): Tensor {
  return a.minimum(b);
}
/** t.clamp(min, max): clamps to [min, max]; either bound may be null. */
export function clamp(t: Tensor, min: number | Tensor | null, max: number | Tensor | null = null): Tensor {
  return t.clamp(min, max);
}
/** Elementwise absolute value. */
export function abs(t: Tensor): Tensor {
  return t.abs();
}
/** Elementwise -1, 0 or 1. */
export function sign(t: Tensor): Tensor {
  return t.sign();
}
/** Elementwise e^x. */
export function exp(t: Tensor): Tensor {
  return t.exp();
}
/** Elementwise natural logarithm. */
export function log(t: Tensor): Tensor {
  return t.log();
}
/** Elementwise square root. */
export function sqrt(t: Tensor): Tensor {
  return t.sqrt();
}
/** Elementwise power. */
export function pow(t: Tensor, exponent: Tensor | number): Tensor {
  return t.pow(exponent);
}
/** Elementwise logistic function. */
export function sigmoid(t: Tensor): Tensor {
  return t.sigmoid();
}
/** Elementwise hyperbolic tangent. */
export function tanh(t: Tensor): Tensor {
  return t.tanh();
}
/** t.sum(dim, keepdim, dtype): sum of all elements or over `dim`. */
export function sum(t: Tensor, dim?: number | readonly number[], keepdim = false, dtype?: DType): Tensor {
  return t.sum(dim, keepdim, dtype);
}
/** t.mean(dim, keepdim): mean of all elements or over `dim`. */
export function mean(t: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return t.mean(dim, keepdim);
}
/** t.logsumexp(dim, keepdim): log(sum(exp(x))) over `dim`, computed without overflow. */
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

/** Options of the conv2d and convTranspose2d functions (nn.Conv2d has its own). A Pair is one number or [h, w]. */
export interface Conv2dOptions {
  /** Default 1. */
  stride?: Pair;
  /** Zero padding added to both sides; default 0. */
  padding?: Pair;
  /** Default 1. */
  dilation?: Pair;
  /** Input and output channels are split into this many independent groups; default 1. */
  groups?: number;
}
/** 2-d convolution of input [N, C, H, W] with weight [out, C / groups, kh, kw], as F.conv2d. */
export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, o: Conv2dOptions = {}): Tensor {
  return call(aten('conv2d'), input, weight, bias, pair(o.stride ?? 1), pair(o.padding ?? 0), pair(o.dilation ?? 1), o.groups ?? 1);
}
/**
 * 2-d transposed convolution, as F.conv_transpose2d; weight is [C, out / groups, kh, kw]. outputPadding defaults to 0.
 */
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
/** input @ weightᵀ + bias, as F.linear (weight is [out, in]). */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return call(aten('linear'), input, weight, bias);
}
/** Options of the batchNorm function (nn.BatchNorm2d has its own). */
export interface BatchNormOptions {
  /** Per-channel scale; none by default. */
  weight?: Tensor | null;
  /** Per-channel shift; none by default. */
  bias?: Tensor | null;
  /** Normalise with the batch's statistics (and update the running ones); default false. */
  training?: boolean;
  /** Weight of the new batch in the running statistics' update; default 0.1. */
  momentum?: number;
  /** Added to the variance; default 1e-5. */
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
/** Group normalisation of [N, C, ...] over `numGroups` channel groups (eps default 1e-5), as F.group_norm. */
export function groupNorm(input: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  return call(aten('group_norm'), input, numGroups, weight, bias, eps, false);
}
/** Layer normalisation over the trailing `normalizedShape` dims (eps default 1e-5), as F.layer_norm. */
export function layerNorm(input: Tensor, normalizedShape: readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  return call(aten('layer_norm'), input, normalizedShape, weight, bias, eps, false);
}
/**
 * Zeroes each element with probability p (default 0.5) and scales the rest by 1/(1-p); the identity when not training.
 * Throws a RangeError when p is outside [0, 1].
 */
export function dropout(input: Tensor, p = 0.5, training = true): Tensor {
  if (p < 0 || p > 1) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  return call(aten('dropout'), input, p, training);
}
/** Options of maxPool2d and avgPool2d. */
export interface Pool2dOptions {
  /** Default: the kernel size. */
  stride?: Pair;
  /** Implicit padding on both sides (-∞ for max, 0 for average); default 0. */
  padding?: Pair;
  /** Round the output size up instead of down; default false. */
  ceilMode?: boolean;
}
/** 2-d max pooling of [N, C, H, W] (or [C, H, W]), as F.max_pool2d; dilation defaults to 1. */
export function maxPool2d(input: Tensor, kernelSize: Pair, o: Pool2dOptions & { dilation?: Pair } = {}): Tensor {
  return call(aten('max_pool2d'), input, pair(kernelSize), pair(o.stride ?? kernelSize), pair(o.padding ?? 0), pair(o.dilation ?? 1), o.ceilMode ?? false);
}
/** 2-d average pooling, as F.avg_pool2d; countIncludePad (default true) counts the zero padding in the divisor. */
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
/** Average pooling to a fixed output size, whatever the input's spatial size. */
export function adaptiveAvgPool2d(input: Tensor, outputSize: Pair): Tensor {
  return call(aten('adaptive_avg_pool2d'), input, pair(outputSize));
}
/** Options of interpolate: exactly one of size and scaleFactor. */
export interface InterpolateOptions {
  /** Output height and width. */
  size?: Pair;
  /** Multiplier of the input height and width. */
  scaleFactor?: number | readonly [number, number];
  /** Default 'nearest'. */
  mode?: 'nearest' | 'bilinear';
  /** For 'bilinear': align the corner pixels' centres, as PyTorch's align_corners; default false. */
  alignCorners?: boolean;
}
/** Resizes [N, C, H, W] images, as F.interpolate. Throws unless exactly one of size and scaleFactor is given. */
export function interpolate(input: Tensor, o: InterpolateOptions): Tensor {
  if ((o.size === undefined) === (o.scaleFactor === undefined)) throw new Error('interpolate: give exactly one of size and scaleFactor');
  const size = o.size === undefined ? null : pair(o.size);
  const scales = o.scaleFactor === undefined ? null : typeof o.scaleFactor === 'number' ? [o.scaleFactor, o.scaleFactor] : o.scaleFactor;
  if ((o.mode ?? 'nearest') === 'nearest') return call(aten('upsample_nearest2d', 'vec'), input, size, scales);
  return call(aten('upsample_bilinear2d', 'vec'), input, size, o.alignCorners ?? false, scales);
}
/** Elementwise max(x, 0). */
export function relu(x: Tensor): Tensor {
  return x.relu();
}
/** Elementwise x · sigmoid(x). */
export function silu(x: Tensor): Tensor {
  return call(aten('silu'), x);
}
/** Gaussian error linear unit; approximate 'tanh' uses the tanh approximation (default 'none', exact). */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return call(aten('gelu'), x, approximate);
}
/** Elementwise x, or negativeSlope · x (default 0.01) for negative x. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return call(aten('leaky_relu'), x, negativeSlope);
}
/** Softmax along `dim`. */
export function softmax(x: Tensor, dim: number): Tensor {
  return x.softmax(dim);
}
/** Log of the softmax along `dim`, computed stably. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return x.logSoftmax(dim);
}
/** log(1 + e^(beta·x)) / beta (beta default 1), linear above `threshold` (default 20) for stability. */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  return call(aten('softplus'), x, beta, threshold);
}
/** Exponential linear unit: x for positive x, alpha·(e^x - 1) otherwise (alpha default 1). */
export function elu(x: Tensor, alpha = 1): Tensor {
  return call(aten('elu'), x, alpha, 1, 1);
}
/** log(sigmoid(x)), computed stably. */
export function logSigmoid(x: Tensor): Tensor {
  return call(aten('log_sigmoid'), x);
}
/** Cosine similarity of a and b along `dim` (default 1), norms clamped below by eps (default 1e-8). */
export function cosineSimilarity(a: Tensor, b: Tensor, dim = 1, eps = 1e-8): Tensor {
  return call(aten('cosine_similarity'), a, b, dim, eps);
}
/**
 * One-hot int64 encoding of integer labels, with a new last dimension of numClasses (default -1: the largest label +
 * 1).
 */
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

/** Options of crossEntropy (and nllLoss, without labelSmoothing). */
export interface CrossEntropyOptions {
  /** Default 'mean'. */
  reduction?: Reduction;
  /** In [0, 1]: that share of the target mass spread uniformly over the classes; default 0. */
  labelSmoothing?: number;
  /** Per-class weights [C]; none by default. */
  weight?: Tensor | null;
  /** Target value whose entries do not count (nor in the mean); default -100. */
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
/**
 * Negative log-likelihood of log-probabilities [N, C, ...] against class indices [N, ...], as F.nll_loss. Throws
 * unless the target is int64 and of that shape.
 */
export function nllLoss(logProbs: Tensor, target: Tensor, o: Omit<CrossEntropyOptions, 'labelSmoothing'> = {}): Tensor {
  checkClassTarget('nllLoss', logProbs, target, false);
  return call(aten('nll_loss_nd'), logProbs, target, o.weight ?? null, reductionCode(o.reduction ?? 'mean'), o.ignoreIndex ?? -100);
}
/**
 * Mean squared error (reduction default 'mean'). Throws when input and target shapes differ, where PyTorch would
 * broadcast with a warning.
 */
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkSameShape('mseLoss', input, target);
  return call(aten('mse_loss'), input, target, reductionCode(reduction));
}
/**
 * Mean absolute error (reduction default 'mean'). Throws when input and target shapes differ, where PyTorch would
 * broadcast with a warning.
 */
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
/**
 * Binary cross-entropy of logits against targets in [0, 1], computed stably, as F.binary_cross_entropy_with_logits;
 * posWeight weighs the positives. Reduction default 'mean'.
 */
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
/** t.sort(dim, descending): [values, indices], stable. */
export function sort(t: Tensor, dim = -1, descending = false): [Tensor, Tensor] {
  return t.sort(dim, descending);
}
/** t.argsort(dim, descending): the indices that sort along `dim`, stably. */
export function argsort(t: Tensor, dim = -1, descending = false): Tensor {
  return t.argsort(dim, descending);
}
/** t.split(size, dim): chunks of `size`, or of the given sizes, along `dim`. */
export function split(t: Tensor, size: number | readonly number[], dim = 0): Tensor[] {
  return t.split(size, dim);
}
/** Splits into `chunks` pieces along `dim` (the last may be smaller, and there may be fewer). */
export function chunk(t: Tensor, chunks: number, dim = 0): Tensor[] {
  return callMany(aten('chunk'), t, chunks, dim);
}
/** Cumulative sum along `dim`; `dtype` sets the result type. */
export function cumsum(t: Tensor, dim: number, dtype?: DType): Tensor {
  return call(aten('cumsum'), t, dim, dtype === undefined ? null : dtypeCode(dtype));
}

// ---- torch.* free-function forms of Tensor methods (reductions, shapes, indexing) --------------------------

type Dims = number | readonly number[];
/** Maximum of all elements, as a 0-d tensor. */
export function max(t: Tensor): Tensor {
  return t.max();
}
/** Minimum of all elements, as a 0-d tensor. */
export function min(t: Tensor): Tensor {
  return t.min();
}
/** t.amax(dim, keepdim): maximum over the given dims (all when omitted). */
export function amax(t: Tensor, dim?: Dims, keepdim = false): Tensor {
  return t.amax(dim, keepdim);
}
/** t.amin(dim, keepdim): minimum over the given dims (all when omitted). */
export function amin(t: Tensor, dim?: Dims, keepdim = false): Tensor {
  return t.amin(dim, keepdim);
}
/** t.argmax(dim, keepdim): index of the maximum (first on ties). */
export function argmax(t: Tensor, dim?: number, keepdim = false): Tensor {
  return t.argmax(dim, keepdim);
}
/** t.argmin(dim, keepdim): index of the minimum (first on ties). */
export function argmin(t: Tensor, dim?: number, keepdim = false): Tensor {
  return t.argmin(dim, keepdim);
}
/** t.prod(dim, keepdim): product of all elements or along `dim`. */
export function prod(t: Tensor, dim?: number, keepdim = false): Tensor {
  return t.prod(dim, keepdim);
}
/** t.std(dim, opts): standard deviation, Bessel-corrected by default. */
export function std(t: Tensor, dim?: Dims, opts: { unbiased?: boolean; correction?: number; keepdim?: boolean } = {}): Tensor {
  return t.std(dim, opts);
}
/** Vector p-norm (torch.norm for vectors); see linalg.norm for matrix norms. */
export function norm(t: Tensor, p = 2, dim?: Dims, keepdim = false): Tensor {
  return t.norm(p, dim, keepdim);
}
/** t.kthvalue(k, dim, keepdim): [values, indices] of the k-th smallest (1-based) along `dim`. */
export function kthvalue(t: Tensor, k: number, dim = -1, keepdim = false): [Tensor, Tensor] {
  return t.kthvalue(k, dim, keepdim);
}
/** t.reshape(shape). */
export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  return t.reshape(shape);
}
/** t.flatten(startDim, endDim): merges dimensions startDim..endDim (default all) into one. */
export function flatten(t: Tensor, startDim = 0, endDim = -1): Tensor {
  return t.flatten(startDim, endDim);
}
/** t.transpose(dim0, dim1): a view with two dimensions swapped. */
export function transpose(t: Tensor, dim0: number, dim1: number): Tensor {
  return t.transpose(dim0, dim1);
}
/** t.permute(dims): a view with the dimensions reordered. */
export function permute(t: Tensor, dims: readonly number[]): Tensor {
  return t.permute(dims);
}
/** t.squeeze(dim): removes size-1 dimensions (all, or only `dim`). */
export function squeeze(t: Tensor, dim?: number): Tensor {
  return t.squeeze(dim);
}
/** t.unsqueeze(dim): inserts a size-1 dimension. */
export function unsqueeze(t: Tensor, dim: number): Tensor {
  return t.unsqueeze(dim);
}
/** t.narrow(dim, start, length): a view of a range along `dim`. */
export function narrow(t: Tensor, dim: number, start: number, length: number): Tensor {
  return t.narrow(dim, start, length);
}
/** t.flip(dims): a copy reversed along the given dims. */
export function flip(t: Tensor, dims: Dims): Tensor {
  return t.flip(dims);
}
/** t.indexSelect(dim, index): the slices at `index` along `dim`. */
export function indexSelect(t: Tensor, dim: number, index: Tensor): Tensor {
  return t.indexSelect(dim, index);
}
/** t.gather(dim, index), as torch.gather. */
export function gather(t: Tensor, dim: number, index: Tensor): Tensor {
  return t.gather(dim, index);
}
/** t.scatter(dim, index, src): an out-of-place scatter. */
export function scatter(t: Tensor, dim: number, index: Tensor, src: Tensor | number): Tensor {
  return t.scatter(dim, index, src);
}
/** t.scatterAdd(dim, index, src): an out-of-place scatter_add. */
export function scatterAdd(t: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  return t.scatterAdd(dim, index, src);
}
/** t.scatterReduce(dim, index, src, reduce, includeSelf), as torch.scatter_reduce. */
export function scatterReduce(t: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ScatterReduction, includeSelf = true): Tensor {
  return t.scatterReduce(dim, index, src, reduce, includeSelf);
}
/** t.maskedSelect(mask): the elements where mask is true, as a 1-d tensor. */
export function maskedSelect(t: Tensor, mask: Tensor): Tensor {
  return t.maskedSelect(mask);
}
/** t.maskedFill(mask, value): a copy with `value` where mask is true. */
export function maskedFill(t: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  return t.maskedFill(mask, value);
}
/** t.tril(diagonal): the lower triangle, the rest zeroed. */
export function tril(t: Tensor, diagonal = 0): Tensor {
  return t.tril(diagonal);
}
/** t.triu(diagonal): the upper triangle, the rest zeroed. */
export function triu(t: Tensor, diagonal = 0): Tensor {
  return t.triu(diagonal);
}
