// Normalisation layers: BatchNorm2d (with running statistics), GroupNorm and LayerNorm.
import { noGrad } from '../torch/autograd.js';
import { ones, zeros } from '../torch/creation.js';
import { batchNorm, groupNorm, layerNorm } from '../torch/functional.js';
import { tensor } from '../torch/creation.js';
import type { Tensor } from '../torch/tensor.js';
import { checkPositiveInt, fmtShape } from './check.js';
import { ones_, zeros_ } from './init.js';
import { Module } from './module.js';

/** Options of nn.BatchNorm2d. */
export interface BatchNormOptions {
  /** Added to the variance; must be positive (default 1e-5). */
  eps?: number;
  /**
   * Weight of the new batch statistic in the running average (default 0.1); null uses a cumulative average
   * (1 / num_batches_tracked), as PyTorch's momentum=None.
   */
  momentum?: number | null;
  /** Learnable per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running mean/variance for evaluation (default true); without them evaluation uses batch statistics. */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation over [N, C, H, W]. Training mode normalises with the batch statistics and updates
 * running_mean, running_var (unbiased batch variance) and num_batches_tracked in place; evaluation mode uses
 * the running statistics. State dict keys: weight, bias, running_mean, running_var, num_batches_tracked.
 */
export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  /** The running statistics' update weight (null: cumulative average); may be changed between steps. */
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    this.numFeatures = checkPositiveInt('BatchNorm2d', 'numFeatures', numFeatures);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    if (!(this.eps > 0)) throw new RangeError(`BatchNorm2d: eps must be positive, got ${this.eps}`);
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1)) {
      throw new RangeError(`BatchNorm2d: momentum must be in [0, 1] or null, got ${this.momentum}`);
    }
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    if (this.affine) {
      this.registerParameter('weight', ones([numFeatures]));
      this.registerParameter('bias', zeros([numFeatures]));
    }
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures]));
      this.registerBuffer('running_var', ones([numFeatures]));
      this.registerBuffer('num_batches_tracked', tensor(0, { dtype: 'int64' }));
    }
  }

  /** Per-channel scale [numFeatures], or null when not affine; owned by the module. */
  get weight(): Tensor | null {
    return this.optionalParam('weight');
  }
  /** Per-channel shift [numFeatures], or null when not affine; owned by the module. */
  get bias(): Tensor | null {
    return this.optionalParam('bias');
  }
  /** The running_mean buffer [numFeatures], or null when running statistics are not tracked. */
  get runningMean(): Tensor | null {
    return this.optionalBuffer('running_mean');
  }
  /** The running_var buffer [numFeatures], or null when running statistics are not tracked. */
  get runningVar(): Tensor | null {
    return this.optionalBuffer('running_var');
  }
  /** The num_batches_tracked buffer (0-d int64), or null when running statistics are not tracked. */
  get numBatchesTracked(): Tensor | null {
    return this.optionalBuffer('num_batches_tracked');
  }

  /** Running statistics back to mean 0, variance 1, count 0. */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    });
  }
  /** Resets the running statistics, and the scale and shift to 1 and 0. */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight !== null) ones_(this.weight);
    if (this.bias !== null) zeros_(this.bias);
  }

  forward(x: Tensor): Tensor {
    const shape = x.shape;
    if (shape.length !== 4 || shape[1] !== this.numFeatures) {
      throw new Error(`BatchNorm2d(${this.numFeatures}): expected input [N, ${this.numFeatures}, H, W], got ${fmtShape(shape)}`);
    }
    // The same decisions as torch.nn.modules.batchnorm._BatchNorm.forward.
    let factor = this.momentum ?? 0;
    const nbt = this.numBatchesTracked;
    if (this.training && this.trackRunningStats && nbt !== null) {
      noGrad(() => nbt.add_(1));
      factor = this.momentum === null ? 1 / nbt.item() : this.momentum;
    }
    const useBatchStats = this.training || (this.runningMean === null && this.runningVar === null);
    if (useBatchStats && shape[0]! * shape[2]! * shape[3]! <= 1) {
      throw new Error(`BatchNorm2d: expected more than 1 value per channel when training, got input ${fmtShape(shape)}`);
    }
    const updateStats = !this.training || this.trackRunningStats;
    return batchNorm(x, updateStats ? this.runningMean : null, updateStats ? this.runningVar : null, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum: factor,
      eps: this.eps,
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, track_running_stats=${this.trackRunningStats}`;
  }
}

/** Options of nn.GroupNorm. */
export interface GroupNormOptions {
  /** Added to the variance; default 1e-5. */
  eps?: number;
  /** Learnable per-channel scale and shift (default true). */
  affine?: boolean;
}

/** Group normalisation: channels split into numGroups groups, each normalised over (channels, spatial). */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;

  constructor(numGroups: number, numChannels: number, opts: GroupNormOptions = {}) {
    super();
    this.numGroups = checkPositiveInt('GroupNorm', 'numGroups', numGroups);
    this.numChannels = checkPositiveInt('GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) throw new RangeError(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    this.eps = opts.eps ?? 1e-5;
    this.affine = opts.affine ?? true;
    if (this.affine) {
      this.registerParameter('weight', ones([numChannels]));
      this.registerParameter('bias', zeros([numChannels]));
    }
  }

  /** Per-channel scale [numChannels], or null when not affine; owned by the module. */
  get weight(): Tensor | null {
    return this.optionalParam('weight');
  }
  /** Per-channel shift [numChannels], or null when not affine; owned by the module. */
  get bias(): Tensor | null {
    return this.optionalParam('bias');
  }

  forward(x: Tensor): Tensor {
    const shape = x.shape;
    if (shape.length < 2 || shape[1] !== this.numChannels) {
      throw new Error(`GroupNorm(${this.numGroups}, ${this.numChannels}): expected input [N, ${this.numChannels}, ...], got ${fmtShape(shape)}`);
    }
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}`;
  }
}

/** Options of nn.LayerNorm. */
export interface LayerNormOptions {
  /** Added to the variance; default 1e-5. */
  eps?: number;
  /** Learnable elementwise scale and shift of the normalised shape (default true). */
  elementwiseAffine?: boolean;
}

/** Layer normalisation over the trailing dims given by normalizedShape. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0) throw new RangeError('LayerNorm: normalizedShape must have at least one dimension');
    for (const d of this.normalizedShape) checkPositiveInt('LayerNorm', 'normalizedShape entries', d);
    this.eps = opts.eps ?? 1e-5;
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    if (this.elementwiseAffine) {
      this.registerParameter('weight', ones(this.normalizedShape));
      this.registerParameter('bias', zeros(this.normalizedShape));
    }
  }

  /** Elementwise scale of normalizedShape, or null without elementwiseAffine; owned by the module. */
  get weight(): Tensor | null {
    return this.optionalParam('weight');
  }
  /** Elementwise shift of normalizedShape, or null without elementwiseAffine; owned by the module. */
  get bias(): Tensor | null {
    return this.optionalParam('bias');
  }

  forward(x: Tensor): Tensor {
    const shape = x.shape;
    const k = this.normalizedShape.length;
    const tail = shape.slice(shape.length - k);
    if (shape.length < k || tail.some((d, i) => d !== this.normalizedShape[i])) {
      throw new Error(`LayerNorm(${fmtShape(this.normalizedShape)}): expected input [..., ${this.normalizedShape.join(', ')}], got ${fmtShape(shape)}`);
    }
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')}), eps=${this.eps}, elementwise_affine=${this.elementwiseAffine}`;
  }
}
