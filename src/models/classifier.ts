// ImageClassifier: what every classification model offers on top of Module — its spec, its classifier head,
// and the penultimate features (the unlearning methods and the diffusion evaluation's Fréchet distance use them).
import { Normalize } from '../nn/normalize.js';
import type { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { tidy } from '../torch/scope.js';
import type { Tensor } from '../torch/tensor.js';
import { type ModelSpec, validateModelSpec } from './spec.js';
import { deepFreeze } from '../util/options.js';

/**
 * Base class of the classification models: a Module built from a ModelSpec (validated, and kept so that createModel can
 * rebuild it), with a Linear head and penultimate features(). forward(x) takes float images [N, C, H, W] and returns
 * logits [N, numClasses], a new tensor the caller owns.
 */
export abstract class ImageClassifier extends Module {
  /**
   * @internal the spec this model was built from (numClasses follows expandClasses). Frozen, so that a caller's
   * `m._spec.numClasses = 99` cannot make it disagree with the head; code that changes the head replaces it whole.
   */
  _spec: ModelSpec;
  /** Name of the final Linear layer, e.g. 'fc'. */
  readonly headName: string;
  /** The input normalisation, when the spec has mean/std. */
  normalize: Normalize | null = null;

  protected constructor(spec: ModelSpec, headName: string) {
    super();
    this._spec = deepFreeze(validateModelSpec(spec));
    this.headName = headName;
  }

  /** Registers the normalisation first (as the reference does, so `normalize.*` keys lead the state dict). */
  protected addNormalize(): void {
    const { mean, std } = this._spec;
    if (mean !== undefined && std !== undefined) this.normalize = this.registerModule('normalize', new Normalize(mean, std));
  }

  /** Applies the folded-in normalisation (a fresh handle either way). */
  protected normalizeInput(x: Tensor): Tensor {
    return this.normalize === null ? x.view(x.shape) : this.normalize.forward(x);
  }

  /** A copy of the plain-JSON spec that rebuilds this architecture with createModel. */
  get spec(): ModelSpec {
    return structuredClone(this._spec);
  }

  /** The classifier head (the last Linear layer). */
  get head(): Linear {
    return this.getSubmodule(this.headName) as Linear;
  }

  /** The head's output size (follows expandClasses). */
  get numClasses(): number {
    return this.head.outFeatures;
  }

  /** Penultimate features [N, D]: the input to the classifier head. */
  abstract features(x: Tensor): Tensor;

  /** Alias of features(). */
  penultimate(x: Tensor): Tensor {
    return this.features(x);
  }

  /** Logits [N, numClasses]. */
  forward(x: Tensor): Tensor {
    return tidy(() => this.head.forward(this.features(x)));
  }

  /** Re-initialises the classifier head in place, as a freshly built PyTorch Linear would be. */
  resetHead(): void {
    this.head.resetParameters();
  }
}

export function checkImageInput(model: string, x: Tensor, inChannels: number): void {
  const s = x.shape;
  if (s.length !== 4 || s[1] !== inChannels) {
    throw new Error(`${model}: expected images [N, ${inChannels}, H, W], got [${s.join(', ')}]`);
  }
  if (!x.isFloatingPoint()) throw new TypeError(`${model}: expected floating-point images (e.g. in [0, 1]), got ${x.dtype}`);
}
