// The inner loop every training-based method shares: one pass over a loader, one step per batch.
import type { Batch } from '../../data/loader.js';
import type { DataLoader } from '../../data/loader.js';
import { cat, fromBuffer, tidy, type Tensor } from '../../torch/index.js';
import { TensorDataset } from '../../data/dataset.js';
import { Rng, deriveSeed } from '../../data/random.js';
import { type MethodContext } from '../method.js';
import { oneOf } from '../../util/options.js';
import type { UnlearnTrainer } from '../trainer.js';
import { BatchNorm2d } from '../../nn/normalization.js';
import type { Module } from '../../nn/module.js';
import { range } from '../../util/range.js';

/**
 * Runs `loss(batch)` and a trainer step for every batch of `loader`; reports progress and honours abort.
 * Returns the mean loss of the pass (NaN for an empty loader).
 */
export async function trainPass(
  ctx: MethodContext,
  trainer: UnlearnTrainer,
  loader: DataLoader,
  loss: (batch: Batch) => Tensor,
  phase: string,
  epoch: number,
  epochs: number,
): Promise<number> {
  let sum = 0;
  let n = 0;
  const batches = loader.length;
  for (const batch of loader) {
    try {
      sum += tidy(() => trainer.step(loss(batch)));
    } finally {
      batch.dispose();
    }
    n++;
    await ctx.tick({ phase, epoch, epochs, batch: n, batches, loss: sum / n });
  }
  return n === 0 ? NaN : sum / n;
}

/** why a method that trains on D_r alone (ft, l1-sparse) refuses a curriculum */
export const NO_FORGET_PASS = 'it trains on D_r alone and never reads D_f, so a curriculum over D_f would change nothing';

/**
 * The whole of a one-pass-per-epoch method (FT, GA, l1-sparse, BE): a trainer in the run's training space, the
 * model in train mode (see `trainMode`), one pass per epoch over `loaderAt(epoch)` with `loss(batch, epoch)`.
 */
export async function trainEpochs(
  ctx: MethodContext,
  phase: string,
  loaderAt: (epoch: number) => DataLoader,
  loss: (batch: Batch, epoch: number) => Tensor,
  o: { bnMode?: BnMode } = {},
): Promise<void> {
  const trainer = ctx.trainer();
  try {
    trainMode(ctx.model, o.bnMode);
    const epochs = ctx.options.epochs;
    for (let e = 0; e < epochs; e++) await trainPass(ctx, trainer, loaderAt(e), (b) => loss(b, e), phase, e, epochs);
  } finally {
    trainer.dispose();
    ctx.model.train();
  }
}

export type BnMode = 'train' | 'eval';

/**
 * The `bnMode` option of the methods that train on D_f alone (GA, BS, BE). Their references train in train mode,
 * so BatchNorm's running statistics follow D_f's batches (momentum 0.1: after ~30 steps they are D_f's). For a
 * random D_f that is the training distribution anyway; for a whole class it is one class's, and the model then
 * misreads the other classes whatever the lr. 'eval', a deviation of ours, keeps the original's statistics.
 */
export interface BatchNormOption {
  /** BatchNorm while training: 'train' (the reference: running statistics move to D_f's) or 'eval' (kept at the original's) */
  bnMode: string;
}

/** The checked value of a method's `bnMode` option (an error naming the choices otherwise). */
export const bnModeOf = (method: string, o: BatchNormOption): BnMode => oneOf(method, 'bnMode', o.bnMode, ['train', 'eval'] as const, { train: 'the reference' });

/** Puts `model` in train mode; with bnMode 'eval', every BatchNorm normalises by, and keeps, its running statistics. */
export function trainMode(model: Module, bnMode: BnMode = 'train'): void {
  model.train();
  if (bnMode === 'eval') for (const m of model.modules()) if (m instanceof BatchNorm2d) m.eval();
}

/**
 * Random labels for the samples `indices` of a data set, drawn from the run seed, the epoch and each sample's
 * position: the same sample gets the same label in an epoch however the data is batched, shuffled or sharded
 * across processes (so data-parallel runs equal 1-process runs), and fresh labels every epoch.
 * 'uniform': uniform on {0..C−1}, the true label included (the RL reference code); 'wrong': uniform, and where it
 * equals the true label, (y + 1) mod C (SEMU's rule; never the true label).
 */
export function randomLabels(indices: Int32Array, y: Tensor, numClasses: number, seed: number, epoch: number, mode: 'uniform' | 'wrong'): Tensor {
  const truth = y.toTypedArray() as BigInt64Array;
  const out = new BigInt64Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    let r = new Rng(deriveSeed(seed, 'random-labels', epoch, indices[i]!)).uniformInt(numClasses);
    if (mode === 'wrong' && r === Number(truth[i])) r = (r + 1) % numClasses;
    out[i] = BigInt(r);
  }
  return fromBuffer(out, 'int64', [indices.length]);
}

/**
 * D_f (the epoch's curriculum subset, if any) with the epoch's random labels, concatenated with D_r (true labels):
 * one dataset to shuffle together, as the references' ConcatDataset (RL's mixed variant, SEMU with retain data).
 */
export function relabelledUnion(ctx: MethodContext, epoch: number, relabel: (indices: Int32Array, y: Tensor, epoch: number) => Tensor): TensorDataset {
  const subset = ctx.blocks.curriculum?.subsetAt(epoch);
  const forget = subset ? ctx.forget.subset(subset) : ctx.forget;
  const positions = subset ?? range(0, ctx.forget.size);
  try {
    const [images, labels] = tidy(() => [cat([forget.images, ctx.retain.images]), cat([relabel(positions, forget.labels, epoch), ctx.retain.labels])]);
    return new TensorDataset({ images: images!, labels: labels!, numClasses: ctx.numClasses, name: 'relabelled-union' });
  } finally {
    if (subset) forget.dispose();
  }
}
