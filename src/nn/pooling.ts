// Pooling layers over [N, C, H, W].
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../torch/functional.js';
import type { Tensor } from '../torch/tensor.js';
import { type Pair, toPair } from './check.js';
import { Module } from './module.js';

/** Options of nn.MaxPool2d; sizes are one number or [h, w]. */
export interface MaxPool2dOptions {
  /** Default: the kernel size. */
  stride?: Pair;
  /** Implicit -∞ padding on each side; default 0. */
  padding?: Pair;
  /** Spacing between kernel elements; default 1. */
  dilation?: Pair;
  /** Round the output size up instead of down; default false. */
  ceilMode?: boolean;
}

/**
 * 2-d max pooling over [N, C, H, W] (or [C, H, W]), as torch.nn.MaxPool2d. Throws a RangeError on a non-integer or too
 * small size.
 */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly ceilMode: boolean;
  constructor(kernelSize: Pair, opts: MaxPool2dOptions = {}) {
    super();
    this.kernelSize = toPair('MaxPool2d', 'kernelSize', kernelSize, 1);
    this.stride = toPair('MaxPool2d', 'stride', opts.stride ?? this.kernelSize, 1);
    this.padding = toPair('MaxPool2d', 'padding', opts.padding ?? 0, 0);
    this.dilation = toPair('MaxPool2d', 'dilation', opts.dilation ?? 1, 1);
    this.ceilMode = opts.ceilMode ?? false;
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }
  override extraRepr(): string {
    return `kernel_size=(${this.kernelSize.join(', ')}), stride=(${this.stride.join(', ')}), padding=(${this.padding.join(', ')})`;
  }
}

/** Options of nn.AvgPool2d; sizes are one number or [h, w]. */
export interface AvgPool2dOptions {
  /** Default: the kernel size. */
  stride?: Pair;
  /** Zero padding on each side; default 0. */
  padding?: Pair;
  /** Round the output size up instead of down; default false. */
  ceilMode?: boolean;
  /** Count the zero padding in each average's divisor; default true. */
  countIncludePad?: boolean;
}

/**
 * 2-d average pooling over [N, C, H, W] (or [C, H, W]), as torch.nn.AvgPool2d. Throws a RangeError on a non-integer or
 * too small size.
 */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  constructor(kernelSize: Pair, opts: AvgPool2dOptions = {}) {
    super();
    this.kernelSize = toPair('AvgPool2d', 'kernelSize', kernelSize, 1);
    this.stride = toPair('AvgPool2d', 'stride', opts.stride ?? this.kernelSize, 1);
    this.padding = toPair('AvgPool2d', 'padding', opts.padding ?? 0, 0);
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }
  override extraRepr(): string {
    return `kernel_size=(${this.kernelSize.join(', ')}), stride=(${this.stride.join(', ')}), padding=(${this.padding.join(', ')})`;
  }
}

/** Average pooling to a fixed output size (1 = global average pooling). */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];
  constructor(outputSize: Pair) {
    super();
    this.outputSize = toPair('AdaptiveAvgPool2d', 'outputSize', outputSize, 1);
  }
  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 && x.ndim !== 3) throw new Error(`AdaptiveAvgPool2d: expected a 3-d or 4-d input, got shape [${x.shape.join(', ')}]`);
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=(${this.outputSize.join(', ')})`;
  }
}
