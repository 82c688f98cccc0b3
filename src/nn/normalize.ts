// Per-channel input normalisation folded into a model, as the reference code's NormalizeByChannelMeanStd:
// (x - mean) / std with mean and std stored as buffers named `mean` and `std`.
import { tensor } from '../torch/creation.js';
import { tidy } from '../torch/scope.js';
import type { Tensor } from '../torch/tensor.js';
import { fmtShape } from './check.js';
import { Module } from './module.js';

/** Options of nn.Normalize. */
export interface NormalizeOptions {
  /**
   * Whether mean/std appear in stateDict (default true: the SalUn reference registers them as ordinary
   * buffers, so its checkpoints carry `normalize.mean` / `normalize.std`).
   */
  persistent?: boolean;
}

/**
 * (x - mean) / std per channel of [N, C, H, W] inputs, with mean and std kept as buffers named `mean` and `std` (the
 * reference's NormalizeByChannelMeanStd). Throws a RangeError unless mean and std are non-empty, of equal length,
 * finite, and std positive.
 */
export class Normalize extends Module {
  readonly numChannels: number;

  constructor(mean: readonly number[], std: readonly number[], opts: NormalizeOptions = {}) {
    super();
    if (!Array.isArray(mean) || !Array.isArray(std) || mean.length === 0 || mean.length !== std.length) {
      throw new RangeError(`Normalize: mean and std must be non-empty arrays of the same length (one entry per channel), got ${mean.length} and ${std.length}`);
    }
    if (mean.some((v) => !Number.isFinite(v)) || std.some((v) => !Number.isFinite(v) || v <= 0)) {
      throw new RangeError(`Normalize: mean must be finite and std positive, got mean [${mean.join(', ')}], std [${std.join(', ')}]`);
    }
    this.numChannels = mean.length;
    const persistent = opts.persistent ?? true;
    this.registerBuffer('mean', tensor([...mean], { dtype: 'float32' }), { persistent });
    this.registerBuffer('std', tensor([...std], { dtype: 'float32' }), { persistent });
  }

  /** The per-channel mean buffer [C] (float32), owned by the module. */
  get mean(): Tensor {
    return this.buffer('mean');
  }
  /** The per-channel standard deviation buffer [C] (float32), owned by the module. */
  get std(): Tensor {
    return this.buffer('std');
  }

  forward(x: Tensor): Tensor {
    const shape = x.shape;
    if (shape.length !== 4 || shape[1] !== this.numChannels) {
      throw new Error(`Normalize: expected input [N, ${this.numChannels}, H, W] (mean/std have ${this.numChannels} channel(s)), got ${fmtShape(shape)}`);
    }
    return tidy(() => x.sub(this.mean.view(1, -1, 1, 1)).div(this.std.view(1, -1, 1, 1)));
  }

  override extraRepr(): string {
    const f = (t: Tensor) => `[${Array.from(t.toTypedArray() as Float32Array, (v) => Number(v.toPrecision(4))).join(', ')}]`;
    return `mean=${f(this.mean)}, std=${f(this.std)}`;
  }
}
