// What training and unlearning loops need from a data-parallel runtime. src/distributed's
// DistributedDataParallel implements it; the loops depend on this interface only, so one loop serves one
// process and N processes alike.
import type { TensorDataset } from '../data/dataset.js';
import type { DataLoader } from '../data/loader.js';
import type { Augmentation, AugmentOptions } from '../data/augment.js';
import type { Seed } from '../data/random.js';
import type { Tensor } from '../torch/index.js';

export interface ParallelLoaderOptions {
  /** the global batch size (each rank loads globalBatchSize / worldSize) */
  globalBatchSize: number;
  seed: Seed;
  epoch: number;
  augment?: Augmentation | AugmentOptions;
  indices?: Int32Array | readonly number[];
  shuffle?: boolean;
}

/**
 * What fit() and the unlearning loops need from a data-parallel runtime (distributed.DistributedDataParallel implements
 * it); pass it as `parallel` to spread a run over processes.
 */
export interface ParallelHooks {
  /** This process's index, 0 … worldSize - 1. */
  readonly rank: number;
  /** The number of processes. */
  readonly worldSize: number;
  /** rank 0: the one that writes checkpoints and reports */
  readonly isMaster: boolean;
  /** this rank's shard of the epoch a 1-process shuffling loader with the same seed would visit */
  loader(dataset: TensorDataset, o: ParallelLoaderOptions): DataLoader;
  /** after backward: every listed tensor's .grad becomes its mean over ranks; returns the mean of `loss` */
  syncGradients(o: { params?: readonly Tensor[]; loss?: number }): number;
  /** makes every rank's buffers (BatchNorm statistics) agree */
  syncBuffers(): void;
  /** in place: tensors ← their mean over ranks */
  averageTensors_(tensors: readonly Tensor[]): void;
  /** The elementwise sum of `values` over all ranks (every rank gets it). */
  sumNumbers(values: readonly number[]): number[];
  /** Rank `root`'s values (default 0), on every rank. */
  broadcastNumbers(values: readonly number[], root?: number): number[];
}
