// Creating tensors: from JS data, filled, ranges, random.
import { aten } from './aten.js';
import { checkDevice, type Device } from './device.js';
import { type DType, dtypeCode, dtypeOfTypedArray, ITEM_SIZE } from './dtype.js';
import { native } from './native.js';
import { call, flatShape, Tensor, type NestedArray } from './tensor.js';

/** Options of the creation functions. */
export interface TensorOptions {
  /** Element type; float32 by default (the *Like functions default to the source tensor's). */
  dtype?: DType;
  /** 'cpu' (default), 'cuda' or 'cuda:N'; throws when the device is unknown or not available. */
  device?: Device;
  /** Makes the new tensor a leaf that requires grad (floating-point dtypes only). Default false. */
  requiresGrad?: boolean;
}

type Shape = number | readonly number[];
function shapeOf(s: Shape): readonly number[] {
  return typeof s === 'number' ? [s] : s;
}

function checkShape(shape: readonly number[], what: string): readonly number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${what}: invalid shape [${shape.join(', ')}]; dimensions must be non-negative integers`);
  }
  return shape;
}

/** Moves a freshly created CPU tensor to the requested device and sets requiresGrad. */
function finish(t: Tensor, opts: TensorOptions): Tensor {
  let out = t;
  if (opts.device !== undefined && opts.device !== 'cpu') {
    out = t.to({ device: checkDevice(opts.device) });
    t.dispose();
  }
  if (opts.requiresGrad) out.requiresGrad = true;
  return out;
}

// Factory ops take (..., dtype, layout, device, pin_memory) as their last keyword arguments.
function factoryArgs(opts: TensorOptions, fallback: DType | null = 'float32'): [number | null, null, string | null, null] {
  const dtype = opts.dtype ?? fallback;
  return [dtype === null ? null : dtypeCode(dtype), null, opts.device === undefined ? null : checkDevice(opts.device), null];
}

function withGrad(t: Tensor, opts: TensorOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * Builds a tensor from nested arrays of numbers/booleans or from a TypedArray (copied once). The dtype is
 * inferred as PyTorch does: booleans → bool, all integers → int64, otherwise float32; a TypedArray keeps its type.
 */
export function tensor(data: NestedArray | readonly NestedArray[] | ArrayBufferView, opts: TensorOptions & { shape?: readonly number[] } = {}): Tensor {
  // Reject an unknown dtype or device before building anything, so a bad option cannot leak a half-made tensor.
  if (opts.dtype !== undefined) dtypeCode(opts.dtype);
  if (opts.device !== undefined) checkDevice(opts.device);
  if (ArrayBuffer.isView(data)) {
    const shape = opts.shape ?? [data.byteLength / ITEM_SIZE[dtypeOfTypedArray(data)]];
    let t = fromBuffer(data, dtypeOfTypedArray(data), shape);
    if (opts.dtype !== undefined && opts.dtype !== t.dtype) {
      const c = t.to(opts.dtype);
      t.dispose();
      t = c;
    }
    return finish(t, opts);
  }
  // The shape is read along the first elements, then every element is checked against it, so ragged input
  // such as [[1, 2], [3]] or [1, [2]] is rejected instead of being silently reshaped.
  const shape: number[] = [];
  for (let x: unknown = data; Array.isArray(x); x = (x as unknown[])[0]) shape.push(x.length);
  const flat: (number | boolean | bigint)[] = [];
  const walk = (x: unknown, depth: number, path: string): void => {
    if (depth < shape.length) {
      if (!Array.isArray(x)) {
        throw new TypeError(`tensor(): ragged nested array: element ${path} is ${String(x)} but an array of length ${shape[depth]} was expected`);
      }
      if (x.length !== shape[depth]) {
        throw new TypeError(`tensor(): ragged nested array: element ${path} has length ${x.length}, expected ${shape[depth]} (shape [${shape.join(', ')}])`);
      }
      for (let i = 0; i < x.length; i++) walk(x[i], depth + 1, `${path}[${i}]`);
    } else {
      if (Array.isArray(x)) throw new TypeError(`tensor(): ragged nested array: element ${path} is an array but a number was expected (shape [${shape.join(', ')}])`);
      if (typeof x !== 'number' && typeof x !== 'boolean' && typeof x !== 'bigint') {
        throw new TypeError(`tensor(): unsupported element ${path} = ${String(x)}; expected numbers, booleans or bigints`);
      }
      flat.push(x);
    }
  };
  walk(data, 0, 'data');
  const inferred: DType = flat.length > 0 && flat.every((v) => typeof v === 'boolean')
    ? 'bool'
    : flat.every((v) => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) && flat.length > 0
      ? 'int64'
      : 'float32';
  const dtype = opts.dtype ?? inferred;
  if (dtype === 'float16' || dtype === 'bfloat16') {
    // JS has no 16-bit float arrays: pack as float32 and let libtorch round.
    const wide = fromBuffer(packValues(flat, 'float32'), 'float32', shape);
    const narrow = wide.to(dtype);
    wide.dispose();
    return finish(narrow, opts);
  }
  return finish(fromBuffer(packValues(flat, dtype), dtype, shape), opts);
}

function packValues(values: readonly (number | boolean | bigint)[], dtype: DType): ArrayBufferView {
  const num = (v: number | boolean | bigint): number => (typeof v === 'boolean' ? (v ? 1 : 0) : Number(v));
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values, num);
    case 'float64':
      return Float64Array.from(values, num);
    case 'int64':
      return BigInt64Array.from(values, (v) => (typeof v === 'bigint' ? v : BigInt(Math.trunc(num(v)))));
    case 'int32':
      return Int32Array.from(values, num);
    case 'int16':
      return Int16Array.from(values, num);
    case 'int8':
      return Int8Array.from(values, num);
    case 'uint8':
      return Uint8Array.from(values, num);
    case 'bool':
      return Uint8Array.from(values, (v) => (num(v) !== 0 ? 1 : 0));
    default:
      throw new TypeError(`tensor(): cannot pack values as ${dtype}`);
  }
}

/** A CPU tensor holding a copy of raw little-endian bytes. The buffer may be reused right after. */
export function fromBuffer(data: ArrayBufferView | ArrayBuffer, dtype: DType, shape: readonly number[]): Tensor {
  checkShape(shape, 'fromBuffer');
  return new Tensor(native.fromBuffer(data, dtypeCode(dtype), [...shape]));
}

/** A tensor of zeros (float32 unless opts.dtype). Throws a RangeError on a negative or fractional size. */
export function zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
  return withGrad(call(aten('zeros'), checkShape(shapeOf(shape), 'zeros'), ...factoryArgs(opts)), opts);
}
/** A tensor of ones (float32 unless opts.dtype). Throws a RangeError on a negative or fractional size. */
export function ones(shape: Shape, opts: TensorOptions = {}): Tensor {
  return withGrad(call(aten('ones'), checkShape(shapeOf(shape), 'ones'), ...factoryArgs(opts)), opts);
}
/**
 * An uninitialised tensor (float32 unless opts.dtype): fill it before reading. Throws a RangeError on a negative or
 * fractional size.
 */
export function empty(shape: Shape, opts: TensorOptions = {}): Tensor {
  return withGrad(call(aten('empty', 'memory_format'), checkShape(shapeOf(shape), 'empty'), ...factoryArgs(opts), null), opts);
}
/** A tensor filled with `value` (float32 unless opts.dtype). Throws a RangeError on a negative or fractional size. */
export function full(shape: Shape, value: number | boolean, opts: TensorOptions = {}): Tensor {
  return withGrad(call(aten('full'), checkShape(shapeOf(shape), 'full'), value, ...factoryArgs(opts)), opts);
}
/** arange(end) or arange(start, end, step); int64 when all arguments are integers, float32 otherwise. */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new RangeError('arange: step must be non-zero');
  const integral = Number.isInteger(s) && Number.isInteger(e) && Number.isInteger(step);
  return withGrad(call(aten('arange', 'start_step'), s, e, step, ...factoryArgs(opts, integral ? 'int64' : 'float32')), opts);
}
/** `steps` evenly spaced values from start to end, both included (float32 unless opts.dtype). */
export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  return withGrad(call(aten('linspace'), start, end, steps, ...factoryArgs(opts)), opts);
}
/** The n × m identity matrix (m defaults to n; float32 unless opts.dtype). */
export function eye(n: number, m?: number, opts: TensorOptions = {}): Tensor {
  return withGrad(m === undefined ? call(aten('eye'), n, ...factoryArgs(opts)) : call(aten('eye', 'm'), n, m, ...factoryArgs(opts)), opts);
}
/** Uniform on [0, 1). */
export function rand(shape: Shape, opts: TensorOptions = {}): Tensor {
  return withGrad(call(aten('rand'), checkShape(shapeOf(shape), 'rand'), ...factoryArgs(opts)), opts);
}
/** Standard normal. */
export function randn(shape: Shape, opts: TensorOptions = {}): Tensor {
  return withGrad(call(aten('randn'), checkShape(shapeOf(shape), 'randn'), ...factoryArgs(opts)), opts);
}
/** Integers uniform on [low, high). */
export function randint(low: number, high: number, shape: Shape, opts: TensorOptions = {}): Tensor {
  if (!(high > low)) throw new RangeError(`randint: high (${high}) must be greater than low (${low})`);
  return call(aten('randint', 'low'), low, high, checkShape(shapeOf(shape), 'randint'), ...factoryArgs(opts, 'int64'));
}
/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, opts: TensorOptions = {}): Tensor {
  return call(aten('randperm'), n, ...factoryArgs(opts, 'int64'));
}

type LikeOptions = TensorOptions;
function likeArgs(opts: LikeOptions): [number | null, null, string | null, null, null] {
  return [...factoryArgs(opts, null), null];
}
/** Zeros with t's shape, and t's dtype and device unless opts say otherwise. */
export function zerosLike(t: Tensor, opts: LikeOptions = {}): Tensor {
  return withGrad(call(aten('zeros_like'), t, ...likeArgs(opts)), opts);
}
/** Ones with t's shape, and t's dtype and device unless opts say otherwise. */
export function onesLike(t: Tensor, opts: LikeOptions = {}): Tensor {
  return withGrad(call(aten('ones_like'), t, ...likeArgs(opts)), opts);
}
/** `value` everywhere, with t's shape, and t's dtype and device unless opts say otherwise. */
export function fullLike(t: Tensor, value: number, opts: LikeOptions = {}): Tensor {
  return withGrad(call(aten('full_like'), t, value, ...likeArgs(opts)), opts);
}
/**
 * Standard normal samples with t's shape, and t's dtype and device unless opts say otherwise (libtorch's generator, see
 * manualSeed).
 */
export function randnLike(t: Tensor, opts: LikeOptions = {}): Tensor {
  return withGrad(call(aten('randn_like'), t, ...likeArgs(opts)), opts);
}
/**
 * Uniform samples on [0, 1) with t's shape, and t's dtype and device unless opts say otherwise (libtorch's generator,
 * see manualSeed).
 */
export function randLike(t: Tensor, opts: LikeOptions = {}): Tensor {
  return withGrad(call(aten('rand_like'), t, ...likeArgs(opts)), opts);
}
/** Scalar tensor. */
export function scalar(value: number, opts: TensorOptions = {}): Tensor {
  return full([], value, { dtype: 'float32', ...opts });
}

export { flatShape };
