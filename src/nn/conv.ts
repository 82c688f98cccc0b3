// Conv2d: 2-d convolution with stride, padding, dilation, groups and an optional bias.
import { aten } from '../torch/aten.js';
import { empty } from '../torch/creation.js';
import { conv2d } from '../torch/functional.js';
import { call, type Tensor } from '../torch/tensor.js';
import { checkPositiveInt, fmtShape, type Pair, toPair } from './check.js';
import { defaultLinearInit_ } from './init.js';
import { Module } from './module.js';

/** Options of nn.Conv2d. Throws a RangeError on a non-integer or too small stride, padding, dilation or groups. */
export interface Conv2dOptions {
  /** Default 1. */
  stride?: Pair;
  /** Zero padding on each side, or 'valid' (none) / 'same' (output size = input size; stride 1 only). */
  padding?: Pair | 'same' | 'valid';
  /** Spacing between kernel elements; default 1. */
  dilation?: Pair;
  /** Channels split into this many independent groups (both channel counts must divide by it); default 1. */
  groups?: number;
  /** Add a learnable bias (default true, as in PyTorch). */
  bias?: boolean;
}

/** 2-d convolution over [N, C, H, W] inputs; weight [out, in / groups, kh, kw], PyTorch's default init. */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same' | 'valid';
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: Conv2dOptions = {}) {
    super();
    const L = 'Conv2d';
    this.inChannels = checkPositiveInt(L, 'inChannels', inChannels);
    this.outChannels = checkPositiveInt(L, 'outChannels', outChannels);
    this.kernelSize = toPair(L, 'kernelSize', kernelSize, 1);
    this.stride = toPair(L, 'stride', opts.stride ?? 1, 1);
    const padding = opts.padding ?? 0;
    this.padding = padding === 'same' || padding === 'valid' ? padding : toPair(L, 'padding', padding, 0);
    this.dilation = toPair(L, 'dilation', opts.dilation ?? 1, 1);
    this.groups = checkPositiveInt(L, 'groups', opts.groups ?? 1);
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new RangeError(`Conv2d: inChannels (${inChannels}) and outChannels (${outChannels}) must both be divisible by groups (${this.groups})`);
    }
    if (this.padding === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1)) {
      throw new RangeError("Conv2d: padding 'same' is not supported for strided convolutions (as in PyTorch)");
    }
    this.registerParameter('weight', empty([outChannels, inChannels / this.groups, ...this.kernelSize]));
    if (opts.bias ?? true) this.registerParameter('bias', empty([outChannels]));
    this.resetParameters();
  }

  /** [outChannels, inChannels / groups, kh, kw], owned by the module. */
  get weight(): Tensor {
    return this.param('weight');
  }
  /** [outChannels], or null when built with bias: false; owned by the module. */
  get bias(): Tensor | null {
    return this.optionalParam('bias');
  }

  /** Re-draws weight and bias as PyTorch's Conv2d.reset_parameters does. */
  resetParameters(): void {
    defaultLinearInit_(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    const shape = x.shape;
    if (shape.length !== 4 || shape[1] !== this.inChannels) {
      throw new Error(`Conv2d(${this.inChannels}, ${this.outChannels}): expected input [N, ${this.inChannels}, H, W], got ${fmtShape(shape)}`);
    }
    if (typeof this.padding === 'string') {
      return call(aten('conv2d', 'padding'), x, this.weight, this.bias, this.stride, this.padding, this.dilation, this.groups);
    }
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    const p = (v: readonly number[]) => `(${v.join(', ')})`;
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${p(this.kernelSize)}, stride=${p(this.stride)}`;
    if (this.padding === 'same' || this.padding === 'valid') s += `, padding=${this.padding}`;
    else if (this.padding[0] !== 0 || this.padding[1] !== 0) s += `, padding=${p(this.padding)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, dilation=${p(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}
