// A multilayer perceptron on flattened images: fc1 … fcK with ReLU, then the head fc{K+1}.
import { Linear } from '../nn/linear.js';
import { tidy } from '../torch/scope.js';
import type { Tensor } from '../torch/tensor.js';
import { checkImageInput, ImageClassifier } from './classifier.js';
import { MODEL_OPTION_KEYS, withNormalization, type ModelOptions, type ModelSpec } from './spec.js';
import { refuseUnknownKeys } from '../util/options.js';

/** Options of mlp(): defaults 1 input channel, 10 classes, 28×28 images, hidden sizes [256, 128]. */
export interface MLPOptions extends ModelOptions {
  /** Side of the square input (default 28). */
  imageSize?: number;
  /** Hidden widths (default [256, 128]). */
  hiddenSizes?: number[];
}

/**
 * Multilayer perceptron on flattened images: hidden Linear layers fc1 … fcK with ReLU, then the head fc{K+1}. Use
 * mlp(), which also refuses unknown options.
 */
export class MLP extends ImageClassifier {
  /** The hidden layers fc1 … fcK, in order. */
  hidden: Linear[] = [];

  /** The spec a model built from `opts` has: the defaults filled in (resolveModelSpec, without building one). */
  static specOf(opts: MLPOptions = {}): ModelSpec {
    const base: ModelSpec = {
      name: 'mlp',
      inChannels: opts.inChannels ?? 1,
      numClasses: opts.numClasses ?? 10,
      imageSize: opts.imageSize ?? 28,
      hiddenSizes: opts.hiddenSizes ?? [256, 128],
    };
    return withNormalization(base, opts);
  }

  constructor(opts: MLPOptions = {}) {
    const spec = MLP.specOf(opts);
    const sizes = spec.hiddenSizes ?? [];
    super(spec, `fc${sizes.length + 1}`);
    this.addNormalize();
    const size = this._spec.imageSize ?? 28;
    let width = this._spec.inChannels * size * size;
    sizes.forEach((h, i) => {
      this.hidden.push(this.registerModule(`fc${i + 1}`, new Linear(width, h)));
      width = h;
    });
    this.registerModule(this.headName, new Linear(width, this._spec.numClasses));
  }

  /** The last hidden layer's activations (the flattened, normalised input when there are no hidden layers). */
  features(x: Tensor): Tensor {
    checkImageInput('mlp', x, this._spec.inChannels);
    const size = this._spec.imageSize ?? 28;
    if (x.shape[2] !== size || x.shape[3] !== size) {
      throw new Error(`mlp: built for ${size}×${size} images, got ${x.shape[2]}×${x.shape[3]} (set imageSize in the spec)`);
    }
    return tidy(() => {
      let h = this.normalizeInput(x).flatten(1);
      for (const layer of this.hidden) h = layer.forward(h).relu();
      return h;
    });
  }
}

/** Builds an MLP; an unknown option is an error, and a bad value (e.g. numClasses 0) throws an error naming the field. */
export function mlp(opts: MLPOptions = {}): MLP {
  refuseUnknownKeys('mlp', opts, [...MODEL_OPTION_KEYS, 'imageSize', 'hiddenSizes']);
  return new MLP(opts);
}
