// The Tensor class: a JS handle on a libtorch tensor with PyTorch's method names in camelCase.
//
// Every method returns a fresh Tensor (a new handle, even when libtorch returns an alias of the input), so a
// caller can always dispose what it received. In-place methods (trailing underscore) return `this`.
import { aten, type AtenOp } from './aten.js';
import { type DType, dtypeCode, dtypeName, typedArrayView, type AnyTypedArray, isFloating } from './dtype.js';
import { checkDevice, type Device } from './device.js';
import { native, type Handle, type NativeArg, type NativeValue } from './native.js';
import { register, type Scope, type Trackable } from './scope.js';

/** An argument accepted by the op helpers: tensors are unwrapped to their native handles. */
export type OpArg = Tensor | NativeArg | readonly (Tensor | null)[];

function unwrapArg(a: OpArg): NativeArg {
  if (a instanceof Tensor) return a.handle;
  if (Array.isArray(a) && a.length > 0 && (a[0] instanceof Tensor || a[0] === null)) {
    return (a as readonly (Tensor | null)[]).map((t) => (t === null ? null : t.handle));
  }
  if (Array.isArray(a) && a.some((x) => x instanceof Tensor)) {
    return (a as readonly (Tensor | null)[]).map((t) => (t === null ? null : t.handle));
  }
  return a as NativeArg;
}

function unwrapArgs(args: readonly OpArg[]): NativeArg[] {
  const out = new Array<NativeArg>(args.length);
  for (let i = 0; i < args.length; i++) out[i] = unwrapArg(args[i]!);
  return out;
}

function asTensor(v: NativeValue, what: string): Tensor {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new Error(`${what}: expected a tensor result from libtorch`);
  }
  return new Tensor(v);
}

/** Runs an op that returns one tensor. */
export function call(op: AtenOp, ...args: OpArg[]): Tensor {
  return asTensor(op.call(unwrapArgs(args)), op.name);
}

/** Runs an op that returns several tensors (a tuple or a Tensor[]). */
export function callMany(op: AtenOp, ...args: OpArg[]): Tensor[] {
  const v = op.call(unwrapArgs(args));
  if (!Array.isArray(v)) return [asTensor(v, op.name)];
  return v.map((x) => asTensor(x, op.name));
}

/** Runs an in-place op, dropping libtorch's returned alias. */
export function callInPlace(op: AtenOp, ...args: OpArg[]): void {
  op.callInPlace(unwrapArgs(args));
}

/** Runs an op that returns a plain value (number, boolean). */
export function callValue(op: AtenOp, ...args: OpArg[]): NativeValue {
  return op.call(unwrapArgs(args));
}

// at::Reduction
/** How a loss reduces its per-element values: 'none' keeps them, 'mean' averages, 'sum' adds (at::Reduction). */
export type Reduction = 'none' | 'mean' | 'sum';
/** libtorch's at::Reduction code for a reduction name; throws a TypeError on any other name. */
export function reductionCode(r: Reduction): number {
  switch (r) {
    case 'none':
      return 0;
    case 'mean':
      return 1;
    case 'sum':
      return 2;
    default:
      throw new TypeError(`unknown reduction '${String(r)}'; expected 'none', 'mean' or 'sum'`);
  }
}

type Dims = number | readonly number[];

/** The reductions of scatterReduce (torch.scatter_reduce). */
export type ScatterReduction = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';

/** Options of std/var: `correction` (the divisor is N - correction) wins over `unbiased` (1 when true). */
export interface VarianceOptions {
  /** Bessel's correction (divide by N − 1); default true. */
  unbiased?: boolean;
  /** The divisor is N − correction; overrides unbiased. */
  correction?: number;
  /** Keep reduced dimensions as size 1; default false. */
  keepdim?: boolean;
}
function correctionOf(o: VarianceOptions): number {
  if (o.correction !== undefined) return o.correction;
  return o.unbiased === false ? 0 : 1;
}
function dimList(dim: Dims | undefined): readonly number[] | undefined {
  return dim === undefined ? undefined : typeof dim === 'number' ? [dim] : dim;
}

/** Nested array view of a tensor's values (TensorFlow.js's arraySync). */
export type NestedArray = number | boolean | bigint | NestedArray[];

const binary = (name: string) => ({ t: aten(name, 'Tensor'), s: aten(name, 'Scalar') });
const ADD = binary('add');
const SUB = binary('sub');
const MUL = binary('mul');
const DIV = binary('div');
const EQ = binary('eq');
const NE = binary('ne');
const LT = binary('lt');
const LE = binary('le');
const GT = binary('gt');
const GE = binary('ge');
const REMAINDER = binary('remainder');
const ADD_ = binary('add_');
const SUB_ = binary('sub_');
const MUL_ = binary('mul_');
const DIV_ = binary('div_');

/**
 * A libtorch tensor, with PyTorch's methods in camelCase. Every method returns a new Tensor that the caller owns
 * (dispose it, or create it inside tidy), even when libtorch returns a view of the input; in-place methods (trailing
 * underscore) return `this`. Create tensors with tensor, zeros, randn and the other creation functions.
 */
export class Tensor implements Trackable {
  private _handle: Handle | null;
  /** Not for users: the scope that will dispose this tensor, which tidy, keep and Scope manage. */
  _scope: Scope | null = null;

  /** Not for users: wraps a native handle. Create tensors with the creation functions (tensor, zeros, ...). */
  constructor(handle: Handle) {
    this._handle = handle;
    register(this);
  }

  /** @internal The native handle; throws a clear error after dispose(). */
  get handle(): Handle {
    if (this._handle === null) {
      throw new Error('this tensor was disposed and can no longer be used (keep() it or return it from tidy to keep it alive)');
    }
    return this._handle;
  }

  // ---- lifetime ----------------------------------------------------------------------------------------

  /** Frees the tensor's native memory now. Idempotent. */
  dispose(): void {
    if (this._handle === null) return;
    native.dispose(this._handle);
    this._handle = null;
    if (this._scope !== null) this._scope.untrack(this);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Whether dispose() has freed this tensor; any other use of it then throws. */
  get isDisposed(): boolean {
    return this._handle === null;
  }

  // ---- metadata ----------------------------------------------------------------------------------------

  /** The sizes of the dimensions (a fresh array; [] for a 0-d tensor). */
  get shape(): number[] {
    return native.shape(this.handle);
  }
  /**
   * The number of elements, or the size of dimension `dim` (negative counts from the end); throws a RangeError when dim
   * is out of range.
   */
  size(dim?: number): number {
    const s = this.shape;
    if (dim === undefined) return s.reduce((a, b) => a * b, 1);
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`size(${dim}): dimension out of range for a ${s.length}-d tensor`);
    return s[d]!;
  }
  /** The number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }
  /** The number of elements (1 for a 0-d tensor). */
  numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  /** The element type. */
  get dtype(): DType {
    return dtypeName(native.dtype(this.handle));
  }
  /** The device holding the data ('cpu', 'cuda:N'). */
  get device(): Device {
    return native.device(this.handle) as Device;
  }
  /** Whether the elements are laid out densely in row-major order (views from transpose or expand often are not). */
  isContiguous(): boolean {
    return native.isContiguous(this.handle);
  }
  /** @internal address of the first element, for aliasing checks */
  dataPtr(): number {
    return native.dataPtr(this.handle);
  }
  /**
   * Shape, dtype and device, e.g. `Tensor(shape=[2, 3], dtype=float32, device=cpu)`; `Tensor(disposed)` after
   * dispose().
   */
  toString(): string {
    return this._handle === null ? 'Tensor(disposed)' : `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }

  // ---- export ------------------------------------------------------------------------------------------

  /** A copy of the elements in row-major order (16-bit floats give their raw bits as Uint16Array). */
  toTypedArray(): AnyTypedArray {
    return typedArrayView(this.dtype, native.toBuffer(this.handle));
  }
  /** The value of a one-element tensor. */
  item(): number {
    const n = this.numel();
    if (n !== 1) throw new Error(`item(): the tensor has ${n} elements, item() needs exactly one`);
    const v = native.item(this.handle);
    return typeof v === 'boolean' ? (v ? 1 : 0) : v;
  }
  /** Nested arrays of numbers (int64 values become numbers, exact up to 2^53). */
  toArray(): NestedArray {
    const shape = this.shape;
    const dtype = this.dtype;
    if (dtype === 'float16' || dtype === 'bfloat16') {
      // their TypedArray holds raw bits; the nested view should hold the values
      const wide = this.to('float32');
      try {
        return wide.toArray();
      } finally {
        wide.dispose();
      }
    }
    const flat = this.toTypedArray();
    const isBool = this.dtype === 'bool';
    const get = (i: number): number | boolean => {
      const v = flat[i]!;
      if (typeof v === 'bigint') return Number(v);
      return isBool ? v !== 0 : v;
    };
    if (shape.length === 0) return get(0);
    let pos = 0;
    const build = (d: number): NestedArray[] => {
      const out: NestedArray[] = [];
      for (let i = 0; i < shape[d]!; i++) out.push(d === shape.length - 1 ? get(pos++) : build(d + 1));
      return out;
    };
    return build(0);
  }

  // ---- conversion --------------------------------------------------------------------------------------

  /** Converts to another dtype and/or device (a fresh handle even when nothing changes). */
  to(target: DType | Device | { dtype?: DType; device?: Device; copy?: boolean }): Tensor {
    if (typeof target === 'string' && !isDeviceString(target) && !isDTypeName(target)) {
      throw new TypeError(`to('${target}'): not a dtype (${DTYPE_NAMES.join(', ')}) nor a device ('cpu', 'cuda', 'cuda:N')`);
    }
    const opts: { dtype?: DType; device?: Device; copy?: boolean } =
      typeof target === 'string' ? (isDeviceString(target) ? { device: target as Device } : { dtype: target as DType }) : target;
    const device = opts.device === undefined ? undefined : checkDevice(opts.device);
    return call(
      aten('to', 'dtype_layout'),
      this,
      opts.dtype === undefined ? null : dtypeCode(opts.dtype),
      null,
      device ?? null,
      null,
      false,
      opts.copy ?? false,
    );
  }
  /** to('float32'). */
  float(): Tensor {
    return this.to('float32');
  }
  /** to('float64'). */
  double(): Tensor {
    return this.to('float64');
  }
  /** to('int64'). */
  long(): Tensor {
    return this.to('int64');
  }
  /** to('int32'). */
  int(): Tensor {
    return this.to('int32');
  }
  /** to('bool'). */
  bool(): Tensor {
    return this.to('bool');
  }
  /** A copy on the CPU (a new handle on the same data when already there). */
  cpu(): Tensor {
    return this.to({ device: 'cpu' });
  }
  /** A copy with its own storage; stays in the autograd graph. */
  clone(): Tensor {
    return call(aten('clone'), this);
  }
  /** The same values laid out contiguously (a new handle on the same data when already contiguous). */
  contiguous(): Tensor {
    return call(aten('contiguous'), this);
  }
  /** A view of the same data outside the autograd graph (no grad flows back through it; writes are shared). */
  detach(): Tensor {
    return call(aten('detach'), this);
  }

  // ---- autograd ----------------------------------------------------------------------------------------

  /** Whether autograd records operations on this tensor; only floating-point tensors can be set to require it. */
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  set requiresGrad(value: boolean) {
    native.setRequiresGrad(this.handle, value);
  }
  /** Sets requiresGrad (default true) and returns this. */
  requiresGrad_(value = true): this {
    native.setRequiresGrad(this.handle, value);
    return this;
  }
  /** The accumulated gradient as a fresh handle (dispose it, or read it inside tidy), or null. */
  get grad(): Tensor | null {
    const g = native.getGrad(this.handle);
    return g === null ? null : new Tensor(g);
  }
  /** Replaces the gradient (null clears it). libtorch does not check the assignment, so the shape and dtype are checked here. */
  set grad(g: Tensor | null) {
    if (g !== null) {
      const want = this.shape;
      const got = g.shape;
      if (want.length !== got.length || want.some((d, i) => d !== got[i])) {
        throw new Error(`grad: assigned gradient has shape [${got.join(', ')}] but the tensor has shape [${want.join(', ')}]`);
      }
      if (g.dtype !== this.dtype) throw new TypeError(`grad: assigned gradient has dtype ${g.dtype} but the tensor is ${this.dtype}`);
    }
    native.setGrad(this.handle, g === null ? null : g.handle);
  }
  /** Whether this tensor was created by the user rather than by a recorded operation; only leaves keep a .grad. */
  get isLeaf(): boolean {
    return native.isLeaf(this.handle);
  }
  /** Name of the autograd node that produced this tensor, or null for leaves. */
  get gradFn(): string | null {
    return native.gradFn(this.handle);
  }
  /**
   * Backpropagates from this tensor, accumulating into the .grad of the leaves that require grad. Without a `gradient`
   * the tensor must have one element (throws otherwise). The graph is freed unless retainGraph; createGraph records the
   * backward pass for higher-order gradients.
   */
  backward(gradient?: Tensor | null, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    if (gradient == null && this.numel() !== 1) {
      throw new Error(`backward(): the tensor has shape [${this.shape.join(', ')}]; pass a gradient or reduce it to a scalar first`);
    }
    native.backward(this.handle, gradient?.handle ?? null, opts.retainGraph ?? false, opts.createGraph ?? false);
  }

  // ---- elementwise arithmetic (broadcasting; scalars allowed) ------------------------------------------

  /** this + alpha * other, elementwise with broadcasting. */
  add(other: Tensor | number, alpha = 1): Tensor {
    return other instanceof Tensor ? call(ADD.t, this, other, alpha) : call(ADD.s, this, other, alpha);
  }
  /** this - alpha * other, elementwise with broadcasting. */
  sub(other: Tensor | number, alpha = 1): Tensor {
    return other instanceof Tensor ? call(SUB.t, this, other, alpha) : call(SUB.s, this, other, alpha);
  }
  /** Elementwise product, with broadcasting. */
  mul(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call(MUL.t, this, other) : call(MUL.s, this, other);
  }
  /** True division; roundingMode 'trunc' or 'floor' as in torch.div. */
  div(other: Tensor | number, roundingMode?: 'trunc' | 'floor'): Tensor {
    if (roundingMode !== undefined) {
      return other instanceof Tensor
        ? call(aten('div', 'Tensor_mode'), this, other, roundingMode)
        : call(aten('div', 'Scalar_mode'), this, other, roundingMode);
    }
    return other instanceof Tensor ? call(DIV.t, this, other) : call(DIV.s, this, other);
  }
  /** Python-style remainder (the sign of the divisor), as torch.remainder. See fmod for C's. */
  remainder(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call(REMAINDER.t, this, other) : call(REMAINDER.s, this, other);
  }
  /** Elementwise power. */
  pow(exponent: Tensor | number): Tensor {
    return exponent instanceof Tensor
      ? call(aten('pow', 'Tensor_Tensor'), this, exponent)
      : call(aten('pow', 'Tensor_Scalar'), this, exponent);
  }
  /** Elementwise maximum of two tensors (NaN if either is NaN). */
  maximum(other: Tensor): Tensor {
    return call(aten('maximum'), this, other);
  }
  /** Elementwise minimum of two tensors (NaN if either is NaN). */
  minimum(other: Tensor): Tensor {
    return call(aten('minimum'), this, other);
  }
  /** -this. */
  neg(): Tensor {
    return call(aten('neg'), this);
  }
  /** Elementwise absolute value. */
  abs(): Tensor {
    return call(aten('abs'), this);
  }
  /** Elementwise -1, 0 or 1. */
  sign(): Tensor {
    return call(aten('sign'), this);
  }
  /** Elementwise e^x. */
  exp(): Tensor {
    return call(aten('exp'), this);
  }
  /** Elementwise natural logarithm. */
  log(): Tensor {
    return call(aten('log'), this);
  }
  /** Elementwise log(1 + x), accurate for small x. */
  log1p(): Tensor {
    return call(aten('log1p'), this);
  }
  /** Elementwise square root. */
  sqrt(): Tensor {
    return call(aten('sqrt'), this);
  }
  /** Elementwise 1 / sqrt(x). */
  rsqrt(): Tensor {
    return call(aten('rsqrt'), this);
  }
  /** Elementwise x². */
  square(): Tensor {
    return call(aten('square'), this);
  }
  /** Elementwise 1 / x. */
  reciprocal(): Tensor {
    return call(aten('reciprocal'), this);
  }
  /** Elementwise logistic function 1 / (1 + e^-x). */
  sigmoid(): Tensor {
    return call(aten('sigmoid'), this);
  }
  /** Elementwise hyperbolic tangent. */
  tanh(): Tensor {
    return call(aten('tanh'), this);
  }
  /** Elementwise sine (radians). */
  sin(): Tensor {
    return call(aten('sin'), this);
  }
  /** Elementwise cosine (radians). */
  cos(): Tensor {
    return call(aten('cos'), this);
  }
  /** Elementwise round down. */
  floor(): Tensor {
    return call(aten('floor'), this);
  }
  /** Elementwise round up. */
  ceil(): Tensor {
    return call(aten('ceil'), this);
  }
  /** Elementwise round to nearest, halves to even (as torch.round). */
  round(): Tensor {
    return call(aten('round'), this);
  }
  /** Elementwise max(x, 0). */
  relu(): Tensor {
    return call(aten('relu'), this);
  }
  /** Elementwise Gauss error function. */
  erf(): Tensor {
    return call(aten('erf'), this);
  }
  /** Elementwise e^x - 1, accurate for small x. */
  expm1(): Tensor {
    return call(aten('expm1'), this);
  }
  /** C-style remainder (sign of the dividend), as torch.fmod. */
  fmod(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call(aten('fmod', 'Tensor'), this, other) : call(aten('fmod', 'Scalar'), this, other);
  }
  /** Clamps to [min, max]; either bound may be null. Bounds may be numbers or tensors. */
  clamp(min: number | Tensor | null, max: number | Tensor | null = null): Tensor {
    if (min instanceof Tensor || max instanceof Tensor) {
      // Mixed bounds (a tensor and a number): the number becomes a 0-d tensor, as clamp.Tensor takes tensors only.
      const asTensor = (b: number | Tensor | null): Tensor | null =>
        typeof b === 'number' ? call(aten('scalar_tensor'), b, dtypeCode(this.dtype)) : b;
      const lo = asTensor(min);
      const hi = asTensor(max);
      try {
        return call(aten('clamp', 'Tensor'), this, lo, hi);
      } finally {
        if (lo !== min) lo?.dispose();
        if (hi !== max) hi?.dispose();
      }
    }
    return call(aten('clamp'), this, min, max);
  }
  /** clamp(min, null). */
  clampMin(min: number): Tensor {
    return this.clamp(min, null);
  }
  /** clamp(null, max). */
  clampMax(max: number): Tensor {
    return this.clamp(null, max);
  }
  /** Linear interpolation this + weight * (end - this). */
  lerp(end: Tensor, weight: number | Tensor): Tensor {
    return weight instanceof Tensor ? call(aten('lerp', 'Tensor'), this, end, weight) : call(aten('lerp', 'Scalar'), this, end, weight);
  }
  /** A boolean tensor: true where the element is NaN. */
  isnan(): Tensor {
    return call(aten('isnan'), this);
  }
  /** A boolean tensor: true where the element is neither NaN nor infinite. */
  isfinite(): Tensor {
    return call(aten('isfinite'), this);
  }
  /** A boolean tensor: true where the element is +∞ or -∞. */
  isinf(): Tensor {
    return call(aten('isinf'), this);
  }
  /** Replaces NaN and infinities (defaults: 0, the dtype's largest and smallest finite values). */
  nanToNum(opts: { nan?: number; posinf?: number; neginf?: number } = {}): Tensor {
    return call(aten('nan_to_num'), this, opts.nan ?? null, opts.posinf ?? null, opts.neginf ?? null);
  }

  // ---- comparisons and logic ---------------------------------------------------------------------------

  /** A boolean tensor: this == other, elementwise with broadcasting. */
  eq(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call(EQ.t, this, other) : call(EQ.s, this, other);
  }
  /** A boolean tensor: this != other, elementwise with broadcasting. */
  ne(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call(NE.t, this, other) : call(NE.s, this, other);
  }
  /** A boolean tensor: this < other, elementwise with broadcasting. */
  lt(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call(LT.t, this, other) : call(LT.s, this, other);
  }
  /** A boolean tensor: this <= other, elementwise with broadcasting. */
  le(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call(LE.t, this, other) : call(LE.s, this, other);
  }
  /** A boolean tensor: this > other, elementwise with broadcasting. */
  gt(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call(GT.t, this, other) : call(GT.s, this, other);
  }
  /** A boolean tensor: this >= other, elementwise with broadcasting. */
  ge(other: Tensor | number): Tensor {
    return other instanceof Tensor ? call(GE.t, this, other) : call(GE.s, this, other);
  }
  /** Elementwise AND of the truth values (non-zero is true), as a boolean tensor. */
  logicalAnd(other: Tensor): Tensor {
    return call(aten('logical_and'), this, other);
  }
  /** Elementwise OR of the truth values (non-zero is true), as a boolean tensor. */
  logicalOr(other: Tensor): Tensor {
    return call(aten('logical_or'), this, other);
  }
  /** Elementwise NOT of the truth values (non-zero is true), as a boolean tensor. */
  logicalNot(): Tensor {
    return call(aten('logical_not'), this);
  }
  /** Elementwise XOR of the truth values (non-zero is true), as a boolean tensor. */
  logicalXor(other: Tensor): Tensor {
    return call(aten('logical_xor'), this, other);
  }
  /** Elementwise choice: where(cond) picks this where cond is true, other elsewhere. */
  where(condition: Tensor, other: Tensor | number): Tensor {
    return other instanceof Tensor
      ? call(aten('where', 'self'), condition, this, other)
      : call(aten('where', 'ScalarOther'), condition, this, other);
  }
  /**
   * Whether |this - other| <= atol + rtol * |other| everywhere (defaults rtol 1e-5, atol 1e-8; NaNs are never equal).
   */
  allclose(other: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
    return callValue(aten('allclose'), this, other, rtol, atol, false) as boolean;
  }
  /** Whether both tensors have the same shape and exactly the same values. */
  equal(other: Tensor): boolean {
    return callValue(aten('equal'), this, other) as boolean;
  }

  // ---- reductions --------------------------------------------------------------------------------------

  /** Sum of all elements, or over `dim` (one or several); `dtype` sets the accumulation and result type. */
  sum(dim?: Dims, keepdim = false, dtype?: DType): Tensor {
    const dt = dtype === undefined ? null : dtypeCode(dtype);
    return dim === undefined ? call(aten('sum'), this, dt) : call(aten('sum', 'dim_IntList'), this, dimList(dim), keepdim, dt);
  }
  /** Mean of all elements, or over `dim` (one or several). Floating-point tensors only. */
  mean(dim?: Dims, keepdim = false): Tensor {
    return dim === undefined ? call(aten('mean'), this) : call(aten('mean', 'dim'), this, dimList(dim), keepdim, null);
  }
  /** Product of all elements, or along one dimension. */
  prod(dim?: number, keepdim = false): Tensor {
    return dim === undefined ? call(aten('prod'), this) : call(aten('prod', 'dim_int'), this, dim, keepdim);
  }
  /** Maximum of all elements. See maxDim for values and indices along a dimension. */
  max(): Tensor {
    return call(aten('max'), this);
  }
  /** Minimum of all elements. See minDim for values and indices along a dimension. */
  min(): Tensor {
    return call(aten('min'), this);
  }
  /** Max along a dimension: [values, indices]. */
  maxDim(dim: number, keepdim = false): [Tensor, Tensor] {
    return callMany(aten('max', 'dim'), this, dim, keepdim) as [Tensor, Tensor];
  }
  /** Min along a dimension: [values, indices]. */
  minDim(dim: number, keepdim = false): [Tensor, Tensor] {
    return callMany(aten('min', 'dim'), this, dim, keepdim) as [Tensor, Tensor];
  }
  /** Index of the maximum, in the flattened tensor or along `dim` (the first one on ties). */
  argmax(dim?: number, keepdim = false): Tensor {
    return call(aten('argmax'), this, dim ?? null, keepdim);
  }
  /** Index of the minimum, in the flattened tensor or along `dim` (the first one on ties). */
  argmin(dim?: number, keepdim = false): Tensor {
    return call(aten('argmin'), this, dim ?? null, keepdim);
  }
  /** Standard deviation; unbiased (Bessel-corrected) by default, as in PyTorch. */
  std(dim?: Dims, opts: VarianceOptions = {}): Tensor {
    return call(aten('std', 'correction'), this, dimList(dim) ?? null, correctionOf(opts), opts.keepdim ?? false);
  }
  /** Variance; unbiased (Bessel-corrected) by default, as in PyTorch. */
  var(dim?: Dims, opts: VarianceOptions = {}): Tensor {
    return call(aten('var', 'correction'), this, dimList(dim) ?? null, correctionOf(opts), opts.keepdim ?? false);
  }
  /** Vector p-norm over all elements or the given dims (torch.norm for vectors; Frobenius for p=2 over all). */
  norm(p = 2, dim?: Dims, keepdim = false): Tensor {
    return call(aten('linalg_vector_norm'), this, p, dimList(dim) ?? null, keepdim, null);
  }
  /** log(sum(exp(x))) over `dim`, computed without overflow. */
  logsumexp(dim: Dims, keepdim = false): Tensor {
    return call(aten('logsumexp'), this, dimList(dim), keepdim);
  }
  /** Cumulative sum along `dim`; `dtype` sets the result type. */
  cumsum(dim: number, dtype?: DType): Tensor {
    return call(aten('cumsum'), this, dim, dtype === undefined ? null : dtypeCode(dtype));
  }
  /** Cumulative product along `dim`; `dtype` sets the result type. */
  cumprod(dim: number, dtype?: DType): Tensor {
    return call(aten('cumprod'), this, dim, dtype === undefined ? null : dtypeCode(dtype));
  }
  /** Maximum over the given dims (all dims when omitted), values only; gradient spread evenly over ties. */
  amax(dim?: Dims, keepdim = false): Tensor {
    return call(aten('amax'), this, dimList(dim) ?? [], keepdim);
  }
  /** Minimum over the given dims (all dims when omitted), values only; gradient spread evenly over ties. */
  amin(dim?: Dims, keepdim = false): Tensor {
    return call(aten('amin'), this, dimList(dim) ?? [], keepdim);
  }
  /** Sum of the diagonal of a 2-d tensor. */
  trace(): Tensor {
    return call(aten('trace'), this);
  }
  /** A 0-d boolean tensor: whether any element is non-zero. */
  any(): Tensor {
    return call(aten('any'), this);
  }
  /** A 0-d boolean tensor: whether every element is non-zero. */
  all(): Tensor {
    return call(aten('all'), this);
  }
  /** [values, indices] of the k largest (or smallest) elements along dim. */
  topk(k: number, dim = -1, largest = true, sorted = true): [Tensor, Tensor] {
    return callMany(aten('topk'), this, k, dim, largest, sorted) as [Tensor, Tensor];
  }
  /** [values, indices] of the k-th smallest element along dim (1-based k, as in PyTorch). */
  kthvalue(k: number, dim = -1, keepdim = false): [Tensor, Tensor] {
    return callMany(aten('kthvalue'), this, k, dim, keepdim) as [Tensor, Tensor];
  }
  /** [values, indices], stable sort. */
  sort(dim = -1, descending = false): [Tensor, Tensor] {
    return callMany(aten('sort', 'stable'), this, true, dim, descending) as [Tensor, Tensor];
  }
  /** The indices that sort along `dim` (the last by default), stably; ascending unless `descending`. */
  argsort(dim = -1, descending = false): Tensor {
    const [values, indices] = this.sort(dim, descending);
    values.dispose();
    return indices;
  }

  // ---- shapes ------------------------------------------------------------------------------------------

  /**
   * The same elements in a new shape (a view when possible, else a copy); one size may be -1. Takes sizes or an array.
   */
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return call(aten('reshape'), this, flatShape(shape));
  }
  /**
   * A view with a new shape over the same data (no copy); throws when the layout does not allow it, where reshape would
   * copy.
   */
  view(...shape: number[] | [readonly number[]]): Tensor {
    return call(aten('view'), this, flatShape(shape));
  }
  /** A view with the dimensions reordered: dims[i] is the input dimension that becomes dimension i. */
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return call(aten('permute'), this, flatShape(dims));
  }
  /** A view with dimensions dim0 and dim1 swapped. */
  transpose(dim0: number, dim1: number): Tensor {
    return call(aten('transpose', 'int'), this, dim0, dim1);
  }
  /** Matrix transpose of a 2-d tensor. */
  t(): Tensor {
    return call(aten('t'), this);
  }
  /** Merges dimensions startDim..endDim (inclusive; default all) into one. */
  flatten(startDim = 0, endDim = -1): Tensor {
    return call(aten('flatten', 'using_ints'), this, startDim, endDim);
  }
  /** Removes size-1 dimensions: all of them, or only `dim` (left as is when its size is not 1). */
  squeeze(dim?: number): Tensor {
    return dim === undefined ? call(aten('squeeze'), this) : call(aten('squeeze', 'dim'), this, dim);
  }
  /** A view with a size-1 dimension inserted at `dim`. */
  unsqueeze(dim: number): Tensor {
    return call(aten('unsqueeze'), this, dim);
  }
  /** A view broadcast to a larger shape without copying (-1 keeps a size); only size-1 dimensions can grow. */
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return call(aten('expand'), this, flatShape(shape), false);
  }
  /** expand(other.shape). */
  expandAs(other: Tensor): Tensor {
    return this.expand(other.shape);
  }
  /** Splits into chunks of `size` (a number) or of the given sizes (an array) along dim. */
  split(size: number | readonly number[], dim = 0): Tensor[] {
    return typeof size === 'number'
      ? callMany(aten('split', 'Tensor'), this, size, dim)
      : callMany(aten('split_with_sizes'), this, size, dim);
  }
  /**
   * Splits into `chunks` pieces along `dim` (the last may be smaller, and there may be fewer pieces). Each is a new
   * handle the caller disposes.
   */
  chunk(chunks: number, dim = 0): Tensor[] {
    return callMany(aten('chunk'), this, chunks, dim);
  }
  /** A view of `length` elements of dimension `dim`, starting at `start`. */
  narrow(dim: number, start: number, length: number): Tensor {
    return call(aten('narrow'), this, dim, start, length);
  }
  /** Python's t[start:end:step] along dim. */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return call(aten('slice', 'Tensor'), this, dim, start ?? null, end ?? null, step);
  }
  /** Python's t[index] along dim (removes the dim). */
  select(dim: number, index: number): Tensor {
    return call(aten('select', 'int'), this, dim, index);
  }
  /** The slices at the positions in the 1-d integer `index` along `dim`, copied. */
  indexSelect(dim: number, index: Tensor): Tensor {
    return call(aten('index_select'), this, dim, index);
  }
  /** Advanced indexing t[i0, i1, ...] with index tensors (null skips a dim), like PyTorch's t[idx]. */
  index(indices: readonly (Tensor | null)[]): Tensor {
    return call(aten('index', 'Tensor'), this, indices);
  }
  /** Out-of-place t[indices] = values (accumulate adds instead). */
  indexPut(indices: readonly (Tensor | null)[], values: Tensor, accumulate = false): Tensor {
    return call(aten('index_put'), this, indices, values, accumulate);
  }
  /** out[i][j] = this[index[i][j]][j] for dim 0 (and likewise for other dims), as torch.gather. */
  gather(dim: number, index: Tensor): Tensor {
    return call(aten('gather'), this, dim, index, false);
  }
  /**
   * Out-of-place scatter: a copy of this with src's elements (or the number src) written at the positions `index` names
   * along `dim`.
   */
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor {
    return src instanceof Tensor ? call(aten('scatter', 'src'), this, dim, index, src) : call(aten('scatter', 'value'), this, dim, index, src);
  }
  /** Out-of-place scatter_add: a copy of this with src's elements added at the positions `index` names along `dim`. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return call(aten('scatter_add'), this, dim, index, src);
  }
  /**
   * Out-of-place scatter with a reduction (torch.scatter_reduce): each src element is combined into the slot
   * its index names; includeSelf=false ignores the original values of the slots that receive something.
   */
  scatterReduce(dim: number, index: Tensor, src: Tensor, reduce: ScatterReduction, includeSelf = true): Tensor {
    return call(aten('scatter_reduce', 'two'), this, dim, index, src, reduce, includeSelf);
  }
  /** this with source's slices added at `index` along dim (alpha scales source). */
  indexAdd(dim: number, index: Tensor, source: Tensor, alpha = 1): Tensor {
    return call(aten('index_add'), this, dim, index, source, alpha);
  }
  /** this with the slices at `index` along dim replaced by source's. */
  indexCopy(dim: number, index: Tensor, source: Tensor): Tensor {
    return call(aten('index_copy'), this, dim, index, source);
  }
  /** this with the slices at `index` along dim set to value. */
  indexFill(dim: number, index: Tensor, value: number | Tensor): Tensor {
    return value instanceof Tensor
      ? call(aten('index_fill', 'int_Tensor'), this, dim, index, value)
      : call(aten('index_fill', 'int_Scalar'), this, dim, index, value);
  }
  /** Out-of-place masked_scatter: src's elements, in order, go to the positions where mask is true. */
  maskedScatter(mask: Tensor, src: Tensor): Tensor {
    return call(aten('masked_scatter'), this, mask, src);
  }
  /** The elements where a boolean mask is true, as a 1-d tensor. */
  maskedSelect(mask: Tensor): Tensor {
    return call(aten('masked_select'), this, mask);
  }
  /** A copy with `value` where the boolean mask (broadcast to this shape) is true. */
  maskedFill(mask: Tensor, value: number | Tensor): Tensor {
    return value instanceof Tensor ? call(aten('masked_fill', 'Tensor'), this, mask, value) : call(aten('masked_fill', 'Scalar'), this, mask, value);
  }
  /** A copy with the order of the elements reversed along the given dims. */
  flip(dims: Dims): Tensor {
    return call(aten('flip'), this, dimList(dims));
  }
  /** Lower triangle (elements on and below the `diagonal`-th diagonal), the rest zeroed. */
  tril(diagonal = 0): Tensor {
    return call(aten('tril'), this, diagonal);
  }
  /** Upper triangle (elements on and above the `diagonal`-th diagonal), the rest zeroed. */
  triu(diagonal = 0): Tensor {
    return call(aten('triu'), this, diagonal);
  }
  /** A 1-d tensor's diagonal matrix, or a 2-d tensor's diagonal. */
  diag(diagonal = 0): Tensor {
    return call(aten('diag'), this, diagonal);
  }
  /** A view with dimension `source` moved to position `destination`, the others keeping their order. */
  movedim(source: number, destination: number): Tensor {
    return call(aten('movedim', 'int'), this, source, destination);
  }
  /** Splits dimension dim into `sizes` (one entry may be -1). */
  unflatten(dim: number, sizes: readonly number[]): Tensor {
    return call(aten('unflatten', 'int'), this, dim, sizes);
  }
  /** Repeats the tensor along each dimension the given number of times (torch.tile; missing leading counts are 1). */
  tile(...dims: number[] | [readonly number[]]): Tensor {
    return call(aten('tile'), this, flatShape(dims));
  }
  /** This tensor converted to other's dtype. */
  typeAs(other: Tensor): Tensor {
    return call(aten('type_as'), this, other);
  }
  /** Shifts elements along the given dims, wrapping around. */
  roll(shifts: Dims, dims: Dims): Tensor {
    return call(aten('roll'), this, dimList(shifts), dimList(dims));
  }
  /** Repeats the tensor along each dimension the given number of times (torch.Tensor.repeat: at least ndim counts). */
  repeat(...sizes: number[] | [readonly number[]]): Tensor {
    return call(aten('repeat'), this, flatShape(sizes));
  }
  /** Indices of non-zero elements, [n, ndim]. */
  nonzero(): Tensor {
    return call(aten('nonzero'), this);
  }

  // ---- linear algebra ----------------------------------------------------------------------------------

  /** Matrix product with torch.matmul's broadcasting (vectors, matrices and batches). */
  matmul(other: Tensor): Tensor {
    return call(aten('matmul'), this, other);
  }
  /** Product of two 2-d matrices. */
  mm(other: Tensor): Tensor {
    return call(aten('mm'), this, other);
  }
  /** Batched product of [b, n, m] and [b, m, p] tensors. */
  bmm(other: Tensor): Tensor {
    return call(aten('bmm'), this, other);
  }
  /** Inner product of two 1-d tensors, as a 0-d tensor. */
  dot(other: Tensor): Tensor {
    return call(aten('dot'), this, other);
  }
  /** Outer product of two 1-d tensors. */
  outer(other: Tensor): Tensor {
    return call(aten('outer'), this, other);
  }

  // ---- activations and nn helpers as methods -----------------------------------------------------------

  /** Softmax along `dim`. */
  softmax(dim: number): Tensor {
    return call(aten('softmax', 'int'), this, dim, null);
  }
  /** Log of the softmax along `dim`, computed stably. */
  logSoftmax(dim: number): Tensor {
    return call(aten('log_softmax', 'int'), this, dim, null);
  }

  // ---- in-place (for optimizers; they mutate this tensor and return it) ---------------------------------

  /** In place: this += alpha * other. */
  add_(other: Tensor | number, alpha = 1): this {
    if (other instanceof Tensor) callInPlace(ADD_.t, this, other, alpha);
    else callInPlace(ADD_.s, this, other, alpha);
    return this;
  }
  /** In place: this -= alpha * other. */
  sub_(other: Tensor | number, alpha = 1): this {
    if (other instanceof Tensor) callInPlace(SUB_.t, this, other, alpha);
    else callInPlace(SUB_.s, this, other, alpha);
    return this;
  }
  /** In place: this *= other. */
  mul_(other: Tensor | number): this {
    if (other instanceof Tensor) callInPlace(MUL_.t, this, other);
    else callInPlace(MUL_.s, this, other);
    return this;
  }
  /** In place: this /= other. */
  div_(other: Tensor | number): this {
    if (other instanceof Tensor) callInPlace(DIV_.t, this, other);
    else callInPlace(DIV_.s, this, other);
    return this;
  }
  /** this += value * t1 * t2 */
  addcmul_(t1: Tensor, t2: Tensor, value = 1): this {
    callInPlace(aten('addcmul_'), this, t1, t2, value);
    return this;
  }
  /** this += value * t1 / t2 */
  addcdiv_(t1: Tensor, t2: Tensor, value = 1): this {
    callInPlace(aten('addcdiv_'), this, t1, t2, value);
    return this;
  }
  /** In place: copies src's values into this (src broadcasts and is cast to this dtype and device). */
  copy_(src: Tensor): this {
    callInPlace(aten('copy_'), this, src, false);
    return this;
  }
  /** In place: sets every element to 0. */
  zero_(): this {
    callInPlace(aten('zero_'), this);
    return this;
  }
  /** In place: sets every element to `value`. */
  fill_(value: number): this {
    callInPlace(aten('fill_', 'Scalar'), this, value);
    return this;
  }
  /** In place: clamps to [min, max]; either bound may be null. */
  clamp_(min: number | null, max: number | null = null): this {
    callInPlace(aten('clamp_'), this, min, max);
    return this;
  }
  /** In place: sets the elements where the boolean mask is true to `value`. */
  maskedFill_(mask: Tensor, value: number | Tensor): this {
    if (value instanceof Tensor) callInPlace(aten('masked_fill_', 'Tensor'), this, mask, value);
    else callInPlace(aten('masked_fill_', 'Scalar'), this, mask, value);
    return this;
  }
  /** In place: writes src's elements (or the number src) at the positions `index` names along `dim`. */
  scatter_(dim: number, index: Tensor, src: Tensor | number): this {
    if (src instanceof Tensor) callInPlace(aten('scatter_', 'src'), this, dim, index, src);
    else callInPlace(aten('scatter_', 'value'), this, dim, index, src);
    return this;
  }
  /** In place: adds src's elements at the positions `index` names along `dim`. */
  scatterAdd_(dim: number, index: Tensor, src: Tensor): this {
    callInPlace(aten('scatter_add_'), this, dim, index, src);
    return this;
  }
  /** In place: adds alpha * source's slices at the positions `index` names along `dim`. */
  indexAdd_(dim: number, index: Tensor, source: Tensor, alpha = 1): this {
    callInPlace(aten('index_add_'), this, dim, index, source, alpha);
    return this;
  }
  /** In place: sets the slices at the positions `index` names along `dim` to `value`. */
  indexFill_(dim: number, index: Tensor, value: number): this {
    callInPlace(aten('index_fill_', 'int_Scalar'), this, dim, index, value);
    return this;
  }
  /** In-place t[indices] = values (accumulate adds instead). */
  indexPut_(indices: readonly (Tensor | null)[], values: Tensor, accumulate = false): this {
    callInPlace(aten('index_put_'), this, indices, values, accumulate);
    return this;
  }
  /** In place: this = this^exponent. */
  pow_(exponent: number): this {
    callInPlace(aten('pow_', 'Scalar'), this, exponent);
    return this;
  }
  /** In place: this = e^this. */
  exp_(): this {
    callInPlace(aten('exp_'), this);
    return this;
  }
  /** In place: this = -this. */
  neg_(): this {
    callInPlace(aten('neg_'), this);
    return this;
  }
  /** In place: this = |this|. */
  abs_(): this {
    callInPlace(aten('abs_'), this);
    return this;
  }
  /** In place: this = max(this, 0). */
  relu_(): this {
    callInPlace(aten('relu_'), this);
    return this;
  }
  /** Copies `src` into the positions where mask is true (mask and src broadcast to this). */
  maskedScatter_(mask: Tensor, src: Tensor): this {
    callInPlace(aten('masked_scatter_'), this, mask, src);
    return this;
  }
  /** In place: this += weight * (end - this). */
  lerp_(end: Tensor, weight: number): this {
    callInPlace(aten('lerp_', 'Scalar'), this, end, weight);
    return this;
  }
  /** In place: this = sqrt(this). */
  sqrt_(): this {
    callInPlace(aten('sqrt_'), this);
    return this;
  }
  /**
   * In place: fills with uniform samples from [from, to) (default [0, 1)), drawn from libtorch's generator (see
   * manualSeed).
   */
  uniform_(from = 0, to = 1): this {
    callInPlace(aten('uniform_'), this, from, to, null);
    return this;
  }
  /**
   * In place: fills with normal samples of the given mean and std (default 0 and 1), drawn from libtorch's generator
   * (see manualSeed).
   */
  normal_(mean = 0, std = 1): this {
    callInPlace(aten('normal_'), this, mean, std, null);
    return this;
  }
  /** Whether this tensor is floating point. */
  isFloatingPoint(): boolean {
    return isFloating(this.dtype);
  }
}

function isDeviceString(s: string): boolean {
  return s === 'cpu' || s.startsWith('cuda');
}

const DTYPE_NAMES: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'];
function isDTypeName(s: string): boolean {
  return (DTYPE_NAMES as readonly string[]).includes(s);
}

/** Accepts reshape(2, 3) and reshape([2, 3]). */
export function flatShape(args: number[] | [readonly number[]]): readonly number[] {
  if (args.length === 1 && Array.isArray(args[0])) return args[0] as readonly number[];
  return args as number[];
}
