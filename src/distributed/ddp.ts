// DistributedDataParallel: keeps W replicas of a model identical while each trains on its own shard.
//
//   const ddp = new DistributedDataParallel(model);         // rank 0's weights and buffers everywhere
//   for (const batch of shardedLoader(...)) {
//     optimizer.zeroGrad();
//     crossEntropy(ddp.forward(batch.x), batch.y).backward();
//     ddp.syncGradients();                                   // .grad ← mean over ranks, in buckets
//     optimizer.step();                                      // unchanged: same grads, same step on every rank
//   }
//   ddp.syncBuffers();                                       // at epoch end: BatchNorm running stats agree
//
// Unlike PyTorch's DDP there are no autograd hooks: the reduce runs after backward() returns, as one call.
// Overlapping communication with backward would need hooks inside libtorch's engine; on CPU with one thread per
// process the measured overhead is small (see bench/distributed), so simplicity wins.
//
// BatchNorm (the documented choice): in training mode every rank normalises with the statistics of its own
// local batch (B/W samples), as PyTorch DDP without SyncBatchNorm does, and updates its own running statistics.
// syncBuffers() then makes the replicas identical again: floating-point buffers (running_mean, running_var)
// are averaged over ranks, integer buffers (num_batches_tracked, equal everywhere) are taken from rank 0.
// Distributed fit calls it at every epoch end, before validation and before rank 0 writes a checkpoint, so
// evaluation and checkpoints see one consistent model. The averaged running_var is the mean of per-rank
// variances (it omits the spread between rank means), the usual and, for shuffled shards, negligible bias.
// Models without BatchNorm (MLP) are exactly equivalent to a 1-process run with the global batch.
import type { Module } from '../nn/module.js';
import { fromBuffer, noGrad, tidy, zerosLike, type Tensor } from '../torch/index.js';
import { isFloating } from '../torch/dtype.js';
import { bucketedAllReduce_, DEFAULT_BUCKET_CAP_BYTES } from './buckets.js';
import { defaultGroup, type ProcessGroup } from './group.js';
import { shardedLoader, type ShardedLoaderOptions } from './sampler.js';
import type { TensorDataset } from '../data/dataset.js';
import type { DataLoader } from '../data/loader.js';

/** Options of DistributedDataParallel. */
export interface DistributedDataParallelOptions {
  /** default: the default process group */
  group?: ProcessGroup;
  /** bucket size for gradient all-reduce (default 25 MiB, as PyTorch) */
  bucketCapBytes?: number;
  /** how syncBuffers() makes floating-point buffers agree: 'average' (default) or 'broadcast' (rank 0's) */
  buffers?: 'average' | 'broadcast';
}

/** Options of DistributedDataParallel.syncGradients. */
export interface SyncGradientsOptions {
  /** the tensors whose .grad to reduce (default: the module's parameters that require grad) */
  params?: readonly Tensor[];
  /** this rank's loss value; its mean over ranks is returned (one reduce with the gradients: no extra round trip) */
  loss?: number;
}

/**
 * Keeps the replicas of a model identical across ranks: construction broadcasts rank 0's weights and buffers,
 * syncGradients() averages gradients after backward, syncBuffers() makes buffers (BatchNorm statistics) agree. It has
 * the ParallelHooks shape, so fit() takes it as `parallel` (unlearn() takes a function that wraps a model in one). It
 * does not own the module.
 */
export class DistributedDataParallel {
  /** The process group it communicates over. */
  readonly group: ProcessGroup;
  /** Bucket size of the gradient all-reduce, in bytes. */
  readonly bucketCapBytes: number;
  /** How syncBuffers() makes floating-point buffers agree. */
  readonly bufferMode: 'average' | 'broadcast';

  constructor(
    /** The wrapped model (not owned: the caller disposes it). */
    readonly module: Module,
    o: DistributedDataParallelOptions = {},
  ) {
    this.group = o.group ?? defaultGroup();
    this.bucketCapBytes = o.bucketCapBytes ?? DEFAULT_BUCKET_CAP_BYTES;
    this.bufferMode = o.buffers ?? 'average';
    this.broadcastState();
  }

  /** This process's rank in the group. */
  get rank(): number {
    return this.group.rank;
  }
  /** The number of processes in the group. */
  get worldSize(): number {
    return this.group.worldSize;
  }
  /** Rank 0: the one that writes checkpoints and reports. */
  get isMaster(): boolean {
    return this.group.rank === 0;
  }

  /** module.forward(x): this rank's local forward pass. */
  forward(x: Tensor): Tensor {
    return this.module.forward(x);
  }

  /**
   * This rank's loader for epoch `o.epoch`: the data-parallel stand-in for a shuffling DataLoader with the same
   * seed and the global batch size `o.globalBatchSize` (see shardedLoader).
   */
  loader(dataset: TensorDataset, o: Omit<ShardedLoaderOptions, 'worldSize' | 'rank'>): DataLoader {
    return shardedLoader(dataset, { ...o, worldSize: this.worldSize, rank: this.rank });
  }

  /** Copies rank 0's parameters and buffers to every rank (done at construction; call again after loading weights on rank 0 only). */
  broadcastState(): void {
    const tensors = [...this.module.parameters(), ...this.module.buffers()];
    const contiguous = tensors.filter((t) => t.isContiguous());
    if (contiguous.length !== tensors.length) throw new Error('DistributedDataParallel: every parameter and buffer must be contiguous');
    this.group.broadcast_(tensors, 0);
  }

  /**
   * After backward(), before optimizer.step(): every listed tensor's .grad becomes the mean of its .grad over
   * ranks. A tensor whose .grad is null on some ranks counts as zero there; if it is null on every rank it
   * stays null (the optimizer then skips it, as it would in one process). Returns the mean loss if given.
   */
  syncGradients(o: SyncGradientsOptions = {}): number {
    const params = o.params ?? [...this.module.parameters()].filter((p) => p.requiresGrad);
    const W = this.worldSize;
    return noGrad(() =>
      tidy(() => {
        const grads = params.map((p) => p.grad);
        // One float64 vector rides along with the buckets: [has-grad flag per tensor …, loss].
        const status = new Float64Array(params.length + 1);
        grads.forEach((g, i) => (status[i] = g === null ? 0 : 1));
        status[params.length] = o.loss ?? 0;
        const statusT = fromBuffer(status, 'float64', [status.length]);
        const filled = grads.map((g, i) => g ?? zerosLike(params[i]!));
        bucketedAllReduce_(this.group, filled, { scale: 1 / W, capBytes: this.bucketCapBytes, extra: [statusT] });
        const counts = statusT.toTypedArray() as Float64Array;
        params.forEach((p, i) => {
          if (grads[i] === null && counts[i]! > 0) p.grad = filled[i]!;
        });
        return counts[params.length]! / W;
      }),
    );
  }

  /** Makes every rank's buffers equal (see the file comment). Call at epoch end, before evaluating or saving. */
  syncBuffers(): void {
    const floats: Tensor[] = [];
    const others: Tensor[] = [];
    for (const b of this.module.buffers()) (isFloating(b.dtype) && this.bufferMode === 'average' ? floats : others).push(b);
    if (floats.length > 0) bucketedAllReduce_(this.group, floats, { scale: 1 / this.worldSize, capBytes: this.bucketCapBytes });
    if (others.length > 0) this.group.broadcast_(others, 0);
  }

  /** In place: tensors ← their mean over ranks (e.g. gradient sums over a sharded D_f). */
  averageTensors_(tensors: readonly Tensor[]): void {
    bucketedAllReduce_(this.group, tensors, { scale: 1 / this.worldSize, capBytes: this.bucketCapBytes });
  }

  /** Sums of plain numbers over ranks (metrics: loss sums, hit counts, sample counts). */
  sumNumbers(values: readonly number[]): number[] {
    return tidy(() => {
      const t = fromBuffer(Float64Array.from(values), 'float64', [values.length]);
      this.group.allReduce_([t]);
      return Array.from(t.toTypedArray() as Float64Array);
    });
  }

  /** Rank `root`'s numbers on every rank. */
  broadcastNumbers(values: readonly number[], root = 0): number[] {
    return tidy(() => {
      const t = fromBuffer(Float64Array.from(values), 'float64', [values.length]);
      this.group.broadcast_([t], root);
      return Array.from(t.toTypedArray() as Float64Array);
    });
  }

  /**
   * The largest absolute difference between this rank's parameters and buffers and rank 0's (0 when the replicas
   * are identical). For tests and debugging: it broadcasts a full copy of the model.
   */
  maxReplicaDifference(): number {
    return noGrad(() =>
      tidy(() => {
        let worst = 0;
        for (const t of [...this.module.parameters(), ...this.module.buffers()]) {
          const copy = t.clone();
          this.group.broadcast_([copy], 0);
          const d = t.numel() === 0 ? 0 : copy.to('float64').sub(t.to('float64')).abs().max().item();
          if (d > worst) worst = d;
        }
        return worst;
      }),
    );
  }
}
