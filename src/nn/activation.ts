// Parameter-free layers: activations, Identity, Flatten and Dropout.
import { aten } from '../torch/aten.js';
import { dropout, gelu, silu } from '../torch/functional.js';
import { call, type Tensor } from '../torch/tensor.js';
import { Module } from './module.js';

/** max(x, 0), elementwise. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** x · sigmoid(x), elementwise (also called swish). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/**
 * Gaussian error linear unit; { approximate: 'tanh' } uses the tanh approximation (default 'none', exact). Throws a
 * RangeError on any other value.
 */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = opts.approximate ?? 'none';
    if (this.approximate !== 'none' && this.approximate !== 'tanh') throw new RangeError(`GELU: approximate must be 'none' or 'tanh', got '${String(this.approximate)}'`);
  }
  forward(x: Tensor): Tensor {
    return gelu(x, this.approximate);
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/**
 * Returns its input. The result is a fresh handle on the same tensor (an autograd-visible alias), so the
 * caller may dispose it without disposing the input.
 */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return call(aten('alias'), x);
  }
}

/** Flattens dims startDim..endDim (default: everything but the batch dim). */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Zeroes elements with probability p in training mode and scales the rest by 1/(1-p); identity in eval mode. */
export class Dropout extends Module {
  readonly p: number;
  constructor(p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be in [0, 1], got ${p}`);
    this.p = p;
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
