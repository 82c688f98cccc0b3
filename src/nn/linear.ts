// Linear and Embedding: the layers that hold a weight matrix.
import { call } from '../torch/tensor.js';
import { aten } from '../torch/aten.js';
import { empty } from '../torch/creation.js';
import { linear } from '../torch/functional.js';
import { noGrad } from '../torch/autograd.js';
import type { Tensor } from '../torch/tensor.js';
import { checkPositiveInt, fmtShape } from './check.js';
import { defaultLinearInit_, normal_ } from './init.js';
import { Module } from './module.js';

/** Options of nn.Linear. */
export interface LinearOptions {
  /** Add a learnable bias (default true). */
  bias?: boolean;
}

/** y = x Wᵀ + b, with weight [outFeatures, inFeatures] and PyTorch's default initialisation. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = checkPositiveInt('Linear', 'inFeatures', inFeatures);
    this.outFeatures = checkPositiveInt('Linear', 'outFeatures', outFeatures);
    this.registerParameter('weight', empty([outFeatures, inFeatures]));
    if (opts.bias ?? true) this.registerParameter('bias', empty([outFeatures]));
    this.resetParameters();
  }

  /** [outFeatures, inFeatures], owned by the module. */
  get weight(): Tensor {
    return this.param('weight');
  }
  /** [outFeatures], or null when built with bias: false; owned by the module. */
  get bias(): Tensor | null {
    return this.optionalParam('bias');
  }

  /** Re-draws weight and bias as PyTorch's Linear.reset_parameters does. */
  resetParameters(): void {
    defaultLinearInit_(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    const shape = x.shape;
    if (shape.length === 0 || shape[shape.length - 1] !== this.inFeatures) {
      throw new Error(`Linear(${this.inFeatures}, ${this.outFeatures}): expected input [..., ${this.inFeatures}], got ${fmtShape(shape)}`);
    }
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Options of nn.Embedding. */
export interface EmbeddingOptions {
  /** Row whose embedding is zero and receives no gradient (negative values count from the end). */
  paddingIdx?: number;
}

/** A lookup table of numEmbeddings vectors of size embeddingDim, initialised N(0, 1) as in PyTorch. */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The padding row (made non-negative), or null. */
  readonly paddingIdx: number | null;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = checkPositiveInt('Embedding', 'numEmbeddings', numEmbeddings);
    this.embeddingDim = checkPositiveInt('Embedding', 'embeddingDim', embeddingDim);
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad >= numEmbeddings || pad < -numEmbeddings) {
        throw new RangeError(`Embedding: paddingIdx must be an integer in [-${numEmbeddings}, ${numEmbeddings}), got ${pad}`);
      }
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.registerParameter('weight', empty([numEmbeddings, embeddingDim]));
    this.resetParameters();
  }

  /** [numEmbeddings, embeddingDim], owned by the module. */
  get weight(): Tensor {
    return this.param('weight');
  }

  /** Re-draws the weight from N(0, 1) and zeroes the padding row, as PyTorch's Embedding.reset_parameters. */
  resetParameters(): void {
    normal_(this.weight);
    if (this.paddingIdx !== null) {
      const row = this.weight.select(0, this.paddingIdx);
      noGrad(() => row.zero_());
      row.dispose();
    }
  }

  /** indices: an integer tensor of any shape; returns [...indices.shape, embeddingDim]. */
  forward(indices: Tensor): Tensor {
    const dt = indices.dtype;
    if (dt !== 'int64' && dt !== 'int32') throw new TypeError(`Embedding: indices must be int64 or int32, got ${dt}`);
    return call(aten('embedding'), this.weight, indices, this.paddingIdx ?? -1, false, false);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}
