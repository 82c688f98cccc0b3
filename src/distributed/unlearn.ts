// Data-parallel unlearning without touching src/unlearn: two adapters the runner (or a method) can apply.
//
// - dataParallelTrainer(trainer, ddp): every step of an UnlearnTrainer averages the parameters' gradients over
//   ranks between backward() and the optimizer step. Masked (SalUn) and subspace (SEMU) spaces keep working:
//   the mask acts after the average, and the subspace pulls its core gradients from the averaged weight
//   gradients (pullGradients is linear in them, so averaging before or after the pull gives the same result).
// - accumulateGradientsParallel(ddp, …): accumulateGradients over this rank's shard of D_f, then the mean over
//   ranks. With per-rank batches of B/W over the sharded order, Σ_ranks Σ_k mean(local batch k) = W · Σ_k
//   mean(global batch k), so the rank mean of 'sum' (SalUn mask, SEMU subspace) and of 'mean' (CUFG) equals
//   the 1-process value with batch B. (Not with clipNorm: clipping half a batch is not clipping the batch.)
//
// They are the interim form of the hooks proposed for src/unlearn/trainer.ts and blocks/gradients.ts.
import type { Module } from '../nn/module.js';
import type { Batch } from '../data/loader.js';
import type { Tensor } from '../torch/index.js';
import { accumulateGradients, disposeGradients, type AccumulateOptions, type Gradients } from '../unlearn/blocks/gradients.js';
import type { UnlearnTrainer } from '../unlearn/trainer.js';
import type { DistributedDataParallel } from './ddp.js';

/** Makes `trainer` average gradients over ranks before each step (in place; returns it). */
export function dataParallelTrainer(trainer: UnlearnTrainer, ddp: DistributedDataParallel): UnlearnTrainer {
  if (trainer.model !== ddp.module) throw new Error('dataParallelTrainer: the trainer and the DDP wrapper hold different models');
  const apply = trainer.applyGradients.bind(trainer);
  trainer.applyGradients = (): void => {
    ddp.syncGradients();
    apply();
  };
  return trainer;
}

/** accumulateGradients on this rank's batches, averaged over ranks: the 1-process result (see the file comment). */
export function accumulateGradientsParallel(
  ddp: DistributedDataParallel,
  model: Module,
  batches: Iterable<Batch>,
  loss: (batch: Batch) => Tensor,
  o: AccumulateOptions = {},
): Gradients {
  if (o.clipNorm !== undefined) throw new Error('accumulateGradientsParallel: per-batch clipNorm is not equivalent across ranks (it would clip each rank\'s half batch); run it on one process');
  const sums = accumulateGradients(model, batches, loss, o);
  try {
    ddp.averageTensors_([...sums.values()]);
    return sums;
  } catch (e) {
    disposeGradients(sums);
    throw e;
  }
}
