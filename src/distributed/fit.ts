// distributedFit(): src/train/fit.ts's training loop, data-parallel over a process group.
//
// fit() carries the data-parallel hooks itself (FitOptions.parallel); this wrapper only creates the
// DistributedDataParallel (rank 0's weights and buffers broadcast at the start) and reports communication time.
// What the hooks do: each rank loads its shard of the global permutation with batch B / W; after backward the
// gradients are averaged over ranks (with the loss, so a NaN on any rank stops every rank at the same step);
// at epoch end BatchNorm buffers are synced, metrics summed, validation runs on rank 0 and is broadcast, and
// onCheckpoint runs on rank 0 only. Per-rank randomness (augmentation, dropout) is seeded with the rank.
import type { Module } from '../nn/module.js';
import type { TensorDataset } from '../data/dataset.js';
import { fit, type FitOptions, type FitResult } from '../train/fit.js';
import { DistributedDataParallel, type DistributedDataParallelOptions } from './ddp.js';

/** Options of distributedFit: fit()'s options (the batch size is the global one) and the wrapper's. */
export interface DistributedFitOptions extends FitOptions {
  /** an existing wrapper (its group is used); default: a new one on the default group */
  ddp?: DistributedDataParallel;
  /** Options of the wrapper created when `ddp` is not given. */
  ddpOptions?: DistributedDataParallelOptions;
  /** called after every step with the seconds this rank spent in collectives so far (benchmarks) */
  onStep?: (info: { epoch: number; batch: number; commSeconds: number }) => void;
}

/** Trains `model` in place on `data`, data-parallel: call it on every rank with the same arguments. */
export async function distributedFit(model: Module, data: TensorDataset, o: DistributedFitOptions = {}): Promise<FitResult> {
  const ddp = o.ddp ?? new DistributedDataParallel(model, o.ddpOptions);
  if (ddp.module !== model) throw new Error('distributedFit: options.ddp wraps a different model');
  const { ddp: _ddp, ddpOptions: _opts, onStep, ...rest } = o;
  return fit(model, data, {
    ...rest,
    parallel: ddp,
    onBatch: (p) => {
      onStep?.({ epoch: p.epoch, batch: p.batch, commSeconds: ddp.group.commSeconds });
      o.onBatch?.(p);
    },
  });
}
