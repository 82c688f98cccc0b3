// Mini-batches over a TensorDataset: seeded shuffling per epoch, batching, dropLast, batch augmentation.
//
// Each batch is built with whole-tensor ops: index_select on the uint8 images, conversion to float32 and division
// by 255 into [0, 1] (torchvision's ToTensor), then the augmentation, if any, on the whole batch.
//
// Ownership: every yielded Batch belongs to the consumer, who disposes it (batch.dispose(), `using batch = …`,
// or by iterating inside a tidy that ends after the batch is used):
//
//   for (const batch of loader) {
//     tidy(() => step(batch.x, batch.y));
//     batch.dispose();
//   }
//
// Shuffling: epoch e visits the samples in the order Rng(deriveSeed(seed, 'loader', e)).permutation(n), so every
// epoch differs, each sample appears exactly once per epoch, and a rerun (or a resumed run asking for epoch e)
// sees the same order. Augmentation randomness comes from libtorch's generator (manualSeed).
import { fromBuffer, tidy, withNumThreads, type Tensor } from '../torch/index.js';
import { augmentation, type Augmentation, type AugmentOptions } from './augment.js';
import { checkIndices, type TensorDataset } from './dataset.js';
import { Rng, deriveSeed, type Seed } from './random.js';
import { refuseUnknownKeys } from '../util/options.js';
import { range } from '../util/range.js';

/** One mini-batch from a DataLoader; the consumer owns it and disposes it. */
export interface Batch {
  /** float32 [B, C, H, W] in [0, 1] (augmented if the loader augments) */
  x: Tensor;
  /** int64 [B] */
  y: Tensor;
  /** which samples of the dataset these are, in batch order */
  indices: Int32Array;
  /** frees x and y */
  dispose(): void;
  [Symbol.dispose](): void;
}

/** Options of a DataLoader; an unknown key is an error. */
export interface DataLoaderOptions {
  /** Samples per batch; a positive integer (else a RangeError). */
  batchSize: number;
  /** reshuffle every epoch (default false: dataset order) */
  shuffle?: boolean;
  /** seed of the shuffling (default 0) */
  seed?: Seed;
  /** drop the last, smaller batch (default false) */
  dropLast?: boolean;
  /** a batch transform, or crop/flip options; applied to the float batch */
  augment?: Augmentation | AugmentOptions;
  /** iterate over these samples of the dataset only (default: all); avoids copying a subset's images */
  indices?: Int32Array | readonly number[];
}

/**
 * Iterates a dataset in mini-batches of float32 images in [0, 1] and int64 labels: seeded shuffling per epoch
 * (set `epoch` before each pass), optional dropLast, optional batch augmentation, optional subset `indices`.
 * Each yielded Batch is the consumer's to dispose.
 */
export class DataLoader implements Iterable<Batch> {
  readonly dataset: TensorDataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  /** Seed of the per-epoch shuffling. */
  readonly seed: Seed;
  readonly dropLast: boolean;
  private readonly augment: Augmentation | null;
  private readonly sampleIndices: Int32Array | null;
  /** the epoch that the next `for … of` over this loader will run (starts at 0) */
  epoch = 0;

  constructor(dataset: TensorDataset, o: DataLoaderOptions) {
    refuseUnknownKeys('DataLoader', o, ['batchSize', 'shuffle', 'seed', 'dropLast', 'augment', 'indices']);
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${o.batchSize}`);
    this.dataset = dataset;
    this.batchSize = o.batchSize;
    this.shuffle = o.shuffle ?? false;
    this.seed = o.seed ?? 0;
    deriveSeed(this.seed); // validates the seed now rather than at the first epoch
    this.dropLast = o.dropLast ?? false;
    this.augment = o.augment === undefined ? null : typeof o.augment === 'function' ? o.augment : augmentation(o.augment);
    this.sampleIndices = o.indices === undefined ? null : checkIndices(o.indices, dataset.size, 'DataLoader indices');
  }

  /** Samples per epoch. */
  get numSamples(): number {
    return this.sampleIndices?.length ?? this.dataset.size;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.numSamples;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The order in which epoch `epoch` visits the dataset's samples (before dropLast). */
  order(epoch: number): Int32Array {
    const n = this.numSamples;
    let order: Int32Array;
    if (this.shuffle) {
      order = new Rng(deriveSeed(this.seed, 'loader', epoch)).permutation(n);
      if (this.sampleIndices !== null) {
        const base = this.sampleIndices;
        for (let i = 0; i < n; i++) order[i] = base[order[i]!]!;
      }
    } else {
      order = this.sampleIndices === null ? range(0, n) : this.sampleIndices.slice();
    }
    return order;
  }

  /** The batches of one epoch (any epoch number, so a resumed run can replay epoch e exactly). */
  *batches(epoch: number): Generator<Batch, void, undefined> {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`DataLoader.batches: epoch must be a non-negative integer, got ${epoch}`);
    const order = this.order(epoch);
    // Unshuffled full passes read contiguous slices (a view) instead of gathering.
    const contiguous = !this.shuffle && this.sampleIndices === null;
    const count = this.length;
    for (let b = 0; b < count; b++) {
      const start = b * this.batchSize;
      const indices = order.slice(start, Math.min(start + this.batchSize, order.length));
      yield this.makeBatch(indices, contiguous ? start : -1);
    }
  }

  [Symbol.iterator](): Iterator<Batch> {
    return this.batches(this.epoch++);
  }

  /** One batch of the given samples (in that order), e.g. for evaluation on chosen indices. */
  batch(indices: Int32Array | readonly number[]): Batch {
    return this.makeBatch(checkIndices(indices, this.dataset.size, 'DataLoader.batch'), -1);
  }

  private makeBatch(indices: Int32Array, contiguousStart: number): Batch {
    const { images, labels } = this.dataset;
    const augment = this.augment;
    // Batch assembly is many small ops: one thread avoids waiting on a descheduled second one (see withNumThreads).
    const { x, y } = withNumThreads(1, () => tidy(() => {
      let rawX: Tensor;
      let rawY: Tensor;
      if (contiguousStart >= 0) {
        rawX = images.narrow(0, contiguousStart, indices.length);
        rawY = labels.narrow(0, contiguousStart, indices.length).clone();
      } else {
        const index = fromBuffer(indices, 'int32', [indices.length]);
        rawX = images.indexSelect(0, index);
        rawY = labels.indexSelect(0, index);
      }
      // torchvision's ToTensor: float32, then / 255 (in place on the fresh float copy: one allocation, same values).
      const xf = rawX.to('float32').div_(255);
      return { x: augment === null ? xf : augment(xf), y: rawY };
    }));
    return {
      x,
      y,
      indices,
      dispose() {
        x.dispose();
        y.dispose();
      },
      [Symbol.dispose]() {
        x.dispose();
        y.dispose();
      },
    };
  }
}
