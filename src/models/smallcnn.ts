// A small CNN (the benchmark's): conv3×3(32) → ReLU → conv3×3(64) → ReLU → max-pool 2 → Linear(128) → ReLU →
// Linear(numClasses). No padding, so a 28×28 input gives 64·12·12 = 9216 features into fc1.
import { Conv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';
import { maxPool2d } from '../torch/functional.js';
import { tidy } from '../torch/scope.js';
import type { Tensor } from '../torch/tensor.js';
import { checkImageInput, ImageClassifier } from './classifier.js';
import { MODEL_OPTION_KEYS, withNormalization, type ModelOptions, type ModelSpec } from './spec.js';
import { refuseUnknownKeys } from '../util/options.js';

/** Options of smallCnn(): defaults 1 input channel, 10 classes, 28×28 images. */
export interface SmallCNNOptions extends ModelOptions {
  /** Side of the square input (default 28). */
  imageSize?: number;
}

/**
 * The benchmark's small CNN: conv3×3(32) → ReLU → conv3×3(64) → ReLU → max-pool 2 → fc1 (128) → ReLU → fc2. Throws a
 * RangeError for imageSize below 6. Use smallCnn(), which also refuses unknown options.
 */
export class SmallCNN extends ImageClassifier {
  conv1: Conv2d;
  conv2: Conv2d;
  fc1: Linear;
  fc2: Linear;

  /** The spec a model built from `opts` has: the defaults filled in (resolveModelSpec, without building one). */
  static specOf(opts: SmallCNNOptions = {}): ModelSpec {
    return withNormalization({ name: 'smallcnn', inChannels: opts.inChannels ?? 1, numClasses: opts.numClasses ?? 10, imageSize: opts.imageSize ?? 28 }, opts);
  }

  constructor(opts: SmallCNNOptions = {}) {
    super(SmallCNN.specOf(opts), 'fc2');
    const size = this._spec.imageSize ?? 28;
    if (size < 6) throw new RangeError(`smallcnn: imageSize must be at least 6 (two 3×3 convs and a 2×2 pool), got ${size}`);
    this.addNormalize();
    const side = Math.floor((size - 4) / 2);
    this.conv1 = this.registerModule('conv1', new Conv2d(this._spec.inChannels, 32, 3));
    this.conv2 = this.registerModule('conv2', new Conv2d(32, 64, 3));
    this.fc1 = this.registerModule('fc1', new Linear(64 * side * side, 128));
    this.fc2 = this.registerModule('fc2', new Linear(128, this._spec.numClasses));
  }

  /** The 128-d hidden features (after fc1 and ReLU). */
  features(x: Tensor): Tensor {
    checkImageInput('smallcnn', x, this._spec.inChannels);
    const size = this._spec.imageSize ?? 28;
    if (x.shape[2] !== size || x.shape[3] !== size) {
      throw new Error(`smallcnn: built for ${size}×${size} images, got ${x.shape[2]}×${x.shape[3]} (set imageSize in the spec)`);
    }
    return tidy(() => {
      let h = this.normalizeInput(x);
      h = this.conv2.forward(this.conv1.forward(h).relu()).relu();
      h = maxPool2d(h, 2).flatten(1);
      return this.fc1.forward(h).relu();
    });
  }
}

/**
 * Builds a SmallCNN; an unknown option is an error, and a bad value (e.g. numClasses 0) throws an error naming the field.
 */
export function smallCnn(opts: SmallCNNOptions = {}): SmallCNN {
  refuseUnknownKeys('smallCnn', opts, [...MODEL_OPTION_KEYS, 'imageSize']);
  return new SmallCNN(opts);
}
