// Weight initialisation, as torch.nn.init: every function fills a tensor in place under noGrad, draws from
// libtorch's default generator (so manualSeed makes it deterministic), and returns the tensor.
//
// The formulas follow torch.nn.init (1.13) operation for operation, so the same seed and the same sequence
// of calls give bit-identical values to PyTorch's.
import { noGrad } from '../torch/autograd.js';
import type { Tensor } from '../torch/tensor.js';

/** The nonlinearities calculateGain knows, by torch.nn.init's names. */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';
/**
 * Which fan Kaiming initialisation preserves the variance of: 'fan_in' (the forward pass) or 'fan_out' (the backward).
 */
export type FanMode = 'fan_in' | 'fan_out';

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain); param is leaky_relu's negative slope. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5.0 / 3;
    case 'relu':
      return Math.sqrt(2.0);
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new RangeError(`calculateGain: negative slope ${slope} is not a valid number`);
      return Math.sqrt(2.0 / (1 + slope ** 2));
    }
    case 'selu':
      return 3.0 / 4;
    default:
      throw new RangeError(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/** [fanIn, fanOut] of a weight: dim 1 and dim 0 times the receptive field (the product of the remaining dims). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  const shape = t.shape;
  if (shape.length < 2) {
    throw new Error(`fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (shape [${shape.join(', ')}])`);
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]!;
  return [shape[1]! * receptive, shape[0]! * receptive];
}

function correctFan(t: Tensor, mode: FanMode): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new RangeError(`mode '${String(mode)}' not supported; use 'fan_in' or 'fan_out'`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return mode === 'fan_in' ? fanIn : fanOut;
}

/** PyTorch skips initialising empty tensors (with a warning); so do we, silently. */
function isEmpty(t: Tensor): boolean {
  return t.numel() === 0;
}

/** Fills t in place from U(a, b) (default [0, 1)) and returns it. Throws a RangeError unless a <= b. */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  if (!(a <= b)) throw new RangeError(`uniform_: expected a <= b, got a=${a}, b=${b}`);
  noGrad(() => t.uniform_(a, b));
  return t;
}

/** Fills t in place from N(mean, std²) (default 0 and 1) and returns it. Throws a RangeError on a negative std. */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  if (!(std >= 0)) throw new RangeError(`normal_: std must be non-negative, got ${std}`);
  noGrad(() => t.normal_(mean, std));
  return t;
}

/** Fills t in place with `value` and returns it. */
export function constant_(t: Tensor, value: number): Tensor {
  noGrad(() => t.fill_(value));
  return t;
}
/** Fills t in place with 0 and returns it. */
export function zeros_(t: Tensor): Tensor {
  noGrad(() => t.zero_());
  return t;
}
/** Fills t in place with 1 and returns it. */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** Options of kaimingUniform_ and kaimingNormal_. */
export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu only); PyTorch's default 0. */
  a?: number;
  /** Default 'fan_in'. */
  mode?: FanMode;
  /** The nonlinearity after this layer, for the gain; default 'leaky_relu' (with `a`), as PyTorch. */
  nonlinearity?: Nonlinearity;
}

/** He et al. uniform: U(-b, b) with b = gain * sqrt(3 / fan). */
export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  if (isEmpty(t)) return t;
  const fan = correctFan(t, o.mode ?? 'fan_in');
  const gain = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  const std = gain / Math.sqrt(fan);
  const bound = Math.sqrt(3.0) * std;
  return uniform_(t, -bound, bound);
}

/** He et al. normal: N(0, std²) with std = gain / sqrt(fan). */
export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  if (isEmpty(t)) return t;
  const fan = correctFan(t, o.mode ?? 'fan_in');
  const gain = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  const std = gain / Math.sqrt(fan);
  return normal_(t, 0, std);
}

/** Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  const a = Math.sqrt(3.0) * std;
  return uniform_(t, -a, a);
}

/** Glorot normal: N(0, std²) with std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  return normal_(t, 0, std);
}

/**
 * PyTorch's default for Linear and Conv layers (their reset_parameters): weight ~ kaiming_uniform(a = √5),
 * i.e. U(-1/√fanIn, 1/√fanIn), and bias ~ U(-1/√fanIn, 1/√fanIn), drawn in that order.
 */
export function defaultLinearInit_(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias !== null) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}
