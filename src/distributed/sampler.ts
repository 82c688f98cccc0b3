// A seeded distributed sampler: each epoch, every rank draws the same global permutation and takes its own
// interleaved shard of it.
//
// Epoch e's global order is Rng(deriveSeed(seed, 'loader', e)).permutation(n): exactly the order a shuffling
// DataLoader with the same seed visits (src/data/loader.ts). It is padded to a multiple of worldSize by
// repeating its first entries (as torch.utils.data.DistributedSampler does, so every rank runs the same number
// of steps), and rank r takes positions r, r + W, r + 2W, …
//
// Why interleaved and why the loader's permutation: with a per-rank batch of B/W, global batch k (positions
// kB … kB+B−1 of the order) is split exactly across the ranks' k-th batches. So a W-process run whose gradients
// are averaged visits the very batches a 1-process run with batch B visits, and (without BatchNorm or per-rank
// randomness) follows the same trajectory up to floating-point rounding.
import { DataLoader, type DataLoaderOptions } from '../data/loader.js';
import type { TensorDataset } from '../data/dataset.js';
import { checkIndices } from '../data/dataset.js';
import { Rng, deriveSeed, type Seed } from '../data/random.js';
import { range } from '../util/range.js';

/**
 * Options of DistributedSampler. Throws a RangeError on a size below 1, a bad rank or worldSize, or a subset whose
 * length is not size.
 */
export interface DistributedSamplerOptions {
  /** number of samples to shard (the dataset's size, or the length of `subset`) */
  size: number;
  /** The number of ranks sharing the samples. */
  worldSize: number;
  /** This rank, 0 … worldSize − 1. */
  rank: number;
  /** seed of the global permutation (default 0); the same on every rank */
  seed?: Seed;
  /** shuffle every epoch (default true); false shards the samples in order */
  shuffle?: boolean;
  /** the dataset positions to shard (e.g. a curriculum stage); shard entries map through it */
  subset?: Int32Array | readonly number[];
}

/**
 * Each epoch, the same seeded global permutation on every rank (the one a shuffling DataLoader with the same seed
 * visits), padded to a multiple of worldSize by repeating its first entries; rank r takes positions r, r + W, ….
 */
export class DistributedSampler {
  /** The number of samples sharded. */
  readonly size: number;
  /** The number of ranks. */
  readonly worldSize: number;
  /** This rank. */
  readonly rank: number;
  /** Seed of the global permutation. */
  readonly seed: Seed;
  /** Whether each epoch is shuffled (else the samples are sharded in order). */
  readonly shuffle: boolean;
  private readonly subset: Int32Array | null;

  constructor(o: DistributedSamplerOptions) {
    if (!Number.isInteger(o.worldSize) || o.worldSize < 1) throw new RangeError(`DistributedSampler: worldSize must be a positive integer, got ${o.worldSize}`);
    if (!Number.isInteger(o.rank) || o.rank < 0 || o.rank >= o.worldSize) throw new RangeError(`DistributedSampler: rank must be in [0, ${o.worldSize}), got ${o.rank}`);
    if (!Number.isInteger(o.size) || o.size < 1) throw new RangeError(`DistributedSampler: size must be a positive integer (nothing to shard in an empty set), got ${o.size}`);
    if (o.subset !== undefined && o.subset.length !== o.size) throw new RangeError(`DistributedSampler: subset has ${o.subset.length} entries but size is ${o.size}`);
    this.size = o.size;
    this.worldSize = o.worldSize;
    this.rank = o.rank;
    this.seed = o.seed ?? 0;
    deriveSeed(this.seed); // validates now rather than at the first epoch
    this.shuffle = o.shuffle ?? true;
    this.subset = o.subset === undefined ? null : Int32Array.from(o.subset);
  }

  /** Samples each rank gets per epoch (ceil(size / worldSize)). */
  get numSamples(): number {
    return Math.ceil(this.size / this.worldSize);
  }

  /** The padded epoch length, numSamples × worldSize. */
  get totalSize(): number {
    return this.numSamples * this.worldSize;
  }

  /** The global order of epoch `epoch`, padded to totalSize (identical on every rank). */
  globalOrder(epoch: number): Int32Array {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`DistributedSampler: epoch must be a non-negative integer, got ${epoch}`);
    const n = this.size;
    const base = this.shuffle ? new Rng(deriveSeed(this.seed, 'loader', epoch)).permutation(n) : range(0, n);
    const out = new Int32Array(this.totalSize);
    for (let i = 0; i < out.length; i++) out[i] = base[i % n]!;
    if (this.subset !== null) for (let i = 0; i < out.length; i++) out[i] = this.subset[out[i]!]!;
    return out;
  }

  /** This rank's samples for epoch `epoch`, in visiting order. */
  indices(epoch: number): Int32Array {
    const order = this.globalOrder(epoch);
    const out = new Int32Array(this.numSamples);
    for (let j = 0; j < out.length; j++) out[j] = order[this.rank + j * this.worldSize]!;
    return out;
  }
}

/** Options of shardedLoader: a DataLoader's options, with the global batch size and this rank's place in the job. */
export interface ShardedLoaderOptions extends Omit<DataLoaderOptions, 'batchSize' | 'shuffle' | 'indices'> {
  /** the GLOBAL batch size; each rank loads globalBatchSize / worldSize samples per step */
  globalBatchSize: number;
  /** The number of ranks; it must divide globalBatchSize. */
  worldSize: number;
  /** This rank. */
  rank: number;
  /** The epoch whose shard to load. */
  epoch: number;
  /** shuffle (default true) */
  shuffle?: boolean;
  /** shard only these dataset positions */
  indices?: Int32Array | readonly number[];
}

/** The per-rank batch size for a global batch, or a clear error if it does not divide evenly. */
export function localBatchSize(globalBatchSize: number, worldSize: number): number {
  if (!Number.isInteger(globalBatchSize) || globalBatchSize < 1) throw new RangeError(`batch size must be a positive integer, got ${globalBatchSize}`);
  if (globalBatchSize % worldSize !== 0) {
    throw new RangeError(`the batch size ${globalBatchSize} is not divisible by the number of processes ${worldSize}: choose a batch size that is a multiple of ${worldSize}`);
  }
  return globalBatchSize / worldSize;
}

/**
 * A DataLoader over this rank's shard of epoch `epoch`: the drop-in replacement, under data parallelism, for
 * `new DataLoader(ds, { batchSize, shuffle: true, seed, indices })` with `loader.epoch = epoch`.
 */
export function shardedLoader(dataset: TensorDataset, o: ShardedLoaderOptions): DataLoader {
  const { globalBatchSize, worldSize, rank, epoch, shuffle, indices, seed, ...rest } = o;
  const subset = indices === undefined ? undefined : checkIndices(indices, dataset.size, 'shardedLoader indices');
  const sampler = new DistributedSampler({
    size: subset?.length ?? dataset.size,
    worldSize,
    rank,
    seed: seed ?? 0,
    shuffle: shuffle ?? true,
    ...(subset ? { subset } : {}),
  });
  return new DataLoader(dataset, { ...rest, batchSize: localBatchSize(globalBatchSize, worldSize), shuffle: false, indices: sampler.indices(epoch) });
}
