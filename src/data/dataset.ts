// An image-classification dataset held in memory as two tensors: uint8 images [N, C, H, W] and int64 labels [N].
//
// Images stay uint8 (60,000 × 28 × 28 is 47 MB; as float32 it would be 188 MB); the DataLoader converts each
// batch to float32 in [0, 1]. A dataset owns its two tensors: dispose() frees them.
import { fromBuffer, keep, tidy, type Tensor } from '../torch/index.js';

/** What a TensorDataset is built from; the constructor checks it. */
export interface TensorDatasetInit {
  /** uint8 [N, C, H, W]; the dataset takes ownership */
  images: Tensor;
  /** int64 [N], values in [0, numClasses); the dataset takes ownership */
  labels: Tensor;
  /** Positive integer; every label must be below it. */
  numClasses: number;
  /** One name per class, in label order, if known. */
  classNames?: readonly string[];
  /** a short identifier, e.g. 'fashion-mnist/train' */
  name: string;
}

/**
 * Images and labels in memory: `subset(indices)` copies samples out, `labelArray()` and `classCounts()` read the
 * labels, `dispose()` frees both tensors. Build one from tensors (the dataset takes them) or with `fromArrays`.
 */
export class TensorDataset {
  /** uint8 [N, C, H, W], owned by the dataset (freed by dispose()): read it, do not dispose it. */
  readonly images: Tensor;
  /** int64 [N], owned by the dataset (freed by dispose()): read it, do not dispose it. */
  readonly labels: Tensor;
  readonly numClasses: number;
  readonly classNames: readonly string[] | undefined;
  readonly name: string;
  private readonly labelCache: Int32Array;

  /** Checks shapes, dtypes and the label range, then takes ownership of both tensors (not on error). */
  constructor(init: TensorDatasetInit) {
    const { images, labels, numClasses, name } = init;
    if (images.dtype !== 'uint8' || images.ndim !== 4) {
      throw new TypeError(`TensorDataset '${name}': images must be a uint8 tensor [N, C, H, W], got ${images.dtype} [${images.shape.join(', ')}]`);
    }
    if (labels.dtype !== 'int64' || labels.ndim !== 1) {
      throw new TypeError(`TensorDataset '${name}': labels must be an int64 tensor [N], got ${labels.dtype} [${labels.shape.join(', ')}]`);
    }
    const n = images.shape[0]!;
    if (labels.shape[0] !== n) {
      throw new RangeError(`TensorDataset '${name}': ${n} images but ${labels.shape[0]} labels; the counts must match`);
    }
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new RangeError(`TensorDataset '${name}': numClasses must be a positive integer, got ${numClasses}`);
    }
    if (init.classNames !== undefined && init.classNames.length !== numClasses) {
      throw new RangeError(`TensorDataset '${name}': ${init.classNames.length} class names for ${numClasses} classes`);
    }
    // checked as int64, before the narrowing to int32 (2^32 + 1 would wrap to the valid label 1)
    const raw = labels.toTypedArray() as BigInt64Array;
    const limit = BigInt(numClasses);
    const bad = raw.findIndex((v) => v < 0n || v >= limit);
    if (bad !== -1) {
      throw new RangeError(`TensorDataset '${name}': label ${raw[bad]} at index ${bad} is out of range [0, ${numClasses})`);
    }
    const labelValues = Int32Array.from(raw, (v) => Number(v));
    // Only now, with every check passed, take ownership (on an error the caller still owns both tensors).
    this.images = keep(images);
    this.labels = keep(labels);
    this.labelCache = labelValues;
    this.numClasses = numClasses;
    this.classNames = init.classNames;
    this.name = name;
  }

  /**
   * Builds a dataset from raw arrays (copied once into tensors): pixels in [N, C, H, W] row-major order and one
   * label per image. Validates the label range before allocating anything.
   */
  static fromArrays(init: {
    pixels: Uint8Array;
    shape: readonly [number, number, number, number];
    labels: Uint8Array | Int32Array | readonly number[];
    numClasses: number;
    classNames?: readonly string[];
    name: string;
  }): TensorDataset {
    const [n, c, h, w] = init.shape;
    if (init.pixels.length !== n * c * h * w) {
      throw new RangeError(`TensorDataset '${init.name}': ${init.pixels.length} pixel bytes do not fill [${init.shape.join(', ')}] (${n * c * h * w} bytes)`);
    }
    if (init.labels.length !== n) {
      throw new RangeError(`TensorDataset '${init.name}': ${n} images but ${init.labels.length} labels; the counts must match`);
    }
    // (checked before BigInt(), which throws its own message on 0.5)
    const bad = firstOutOfRange(init.labels, init.numClasses);
    if (bad !== -1) {
      throw new RangeError(`TensorDataset '${init.name}': label ${init.labels[bad]} at index ${bad} is out of range [0, ${init.numClasses})`);
    }
    const labels = BigInt64Array.from(init.labels, (v) => BigInt(v));
    const images = fromBuffer(init.pixels, 'uint8', init.shape);
    const labelTensor = fromBuffer(labels, 'int64', [n]);
    try {
      return new TensorDataset({
        images,
        labels: labelTensor,
        numClasses: init.numClasses,
        ...(init.classNames === undefined ? {} : { classNames: init.classNames }),
        name: init.name,
      });
    } catch (e) {
      images.dispose();
      labelTensor.dispose();
      throw e;
    }
  }

  /** Number of samples. */
  get size(): number {
    return this.labelCache.length;
  }

  /** [C, H, W] of one image. */
  get imageShape(): [number, number, number] {
    const s = this.images.shape;
    return [s[1]!, s[2]!, s[3]!];
  }

  /** The labels as a JS array: a copy, so that writing to it cannot change the dataset's class counts. */
  labelArray(): Int32Array {
    return this.labelCache.slice();
  }

  /** How many samples each class has. */
  classCounts(): Int32Array {
    const counts = new Int32Array(this.numClasses);
    for (const y of this.labelCache) counts[y]!++;
    return counts;
  }

  /** A new dataset holding copies of the given samples, in the given order. This dataset is unchanged. */
  subset(indices: Int32Array | readonly number[], name?: string): TensorDataset {
    const idx = checkIndices(indices, this.size, `${this.name}.subset`);
    return tidy(
      () =>
        new TensorDataset({
          images: this.images.indexSelect(0, fromBuffer(idx, 'int32', [idx.length])),
          labels: this.labels.indexSelect(0, fromBuffer(idx, 'int32', [idx.length])),
          numClasses: this.numClasses,
          ...(this.classNames === undefined ? {} : { classNames: this.classNames }),
          name: name ?? `${this.name}[subset ${idx.length}]`,
        }),
    );
  }

  /** Frees both tensors. Idempotent. */
  dispose(): void {
    this.images.dispose();
    this.labels.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Name, size, image shape and class count, e.g. `TensorDataset(mnist/train: 60000 × 1×28×28, 10 classes)`. */
  toString(): string {
    const [c, h, w] = this.imageShape;
    return `TensorDataset(${this.name}: ${this.size} × ${c}×${h}×${w}, ${this.numClasses} classes)`;
  }
}

/** Validates sample indices (integers in [0, n)) and returns them as an Int32Array (a copy). */
export function checkIndices(indices: Int32Array | readonly number[], n: number, what: string): Int32Array {
  const out = Int32Array.from(indices);
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= n) {
      throw new RangeError(`${what}: index ${v} at position ${i} is out of range [0, ${n})`);
    }
  }
  return out;
}

function firstOutOfRange(labels: ArrayLike<number>, numClasses: number): number {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!(v >= 0 && v < numClasses) || !Number.isInteger(v)) return i;
  }
  return -1;
}
