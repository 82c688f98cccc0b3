// distributedFit(): src/train/fit.ts's training loop, data-parallel over a process group.
//
// Same recipe, same options, same result type as fit(); the differences are exactly the data-parallel hooks:
//  1. the model is wrapped in DistributedDataParallel (rank 0's weights and buffers broadcast at the start);
//  2. each epoch, each rank loads its shard of the global permutation (shardedLoader) with batch B / W, where
//     B is the recipe's (global) batch size;
//  3. after backward(), gradients are averaged over ranks (with the loss, so a NaN on any rank stops every
//     rank at the same step), then the unchanged optimizer steps;
//  4. at epoch end BatchNorm buffers are synced, metrics are summed over ranks, validation runs on rank 0 and
//     its accuracy is broadcast, and onCheckpoint is called on rank 0 only.
// Per-rank randomness (augmentation, dropout) is seeded with the rank, so ranks do not draw identical crops.
//
// Once fit() grows the `parallel` hooks proposed in the report, this file reduces to
// `fit(model, data, { ...o, parallel: new DistributedDataParallel(model) })`.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Module } from '../nn/module.js';
import type { TensorDataset } from '../data/dataset.js';
import { deriveSeed } from '../data/random.js';
import { SGD } from '../optim/sgd.js';
import { Adam } from '../optim/adam.js';
import { CosineAnnealingLR, MultiStepLR, type LRScheduler } from '../optim/schedulers.js';
import type { Optimizer, BaseOptions } from '../optim/optimizer.js';
import { crossEntropy, manualSeed, noGrad, tidy } from '../torch/index.js';
import { evaluateSplit } from '../eval/outputs.js';
import { resolveRecipe, type TrainRecipe } from '../train/recipe.js';
import { TrainingDivergedError, type EpochMetrics, type FitOptions, type FitResult } from '../train/fit.js';
import { DistributedDataParallel, type DistributedDataParallelOptions } from './ddp.js';
import { shardedLoader } from './sampler.js';

export interface DistributedFitOptions extends FitOptions {
  /** an existing wrapper (its group is used); default: a new one on the default group */
  ddp?: DistributedDataParallel;
  ddpOptions?: DistributedDataParallelOptions;
  /** called after every step with the seconds this rank spent in collectives so far (benchmarks) */
  onStep?: (info: { epoch: number; batch: number; commSeconds: number }) => void;
}

function makeOptimizer(model: Module, r: TrainRecipe): Optimizer<BaseOptions> {
  const params = [...model.parameters()].filter((p) => p.requiresGrad);
  if (params.length === 0) throw new Error('fit: the model has no trainable parameter (is it frozen?)');
  return (r.optimizer === 'adam'
    ? new Adam(params, { lr: r.lr, weightDecay: r.weightDecay })
    : new SGD(params, { lr: r.lr, momentum: r.momentum, weightDecay: r.weightDecay })) as unknown as Optimizer<BaseOptions>;
}

function makeScheduler(opt: Optimizer<BaseOptions>, r: TrainRecipe): LRScheduler | null {
  if (r.schedule === 'multistep') return new MultiStepLR(opt, { milestones: r.milestones, gamma: r.gamma });
  if (r.schedule === 'cosine') return new CosineAnnealingLR(opt, { tMax: r.epochs });
  return null;
}

/** Trains `model` in place on `data`, data-parallel: call it on every rank with the same arguments. */
export async function distributedFit(model: Module, data: TensorDataset, o: DistributedFitOptions = {}): Promise<FitResult> {
  const recipe = resolveRecipe(o.recipe);
  const seed = o.seed ?? 0;
  if (data.size === 0) throw new Error('fit: the training set is empty');
  const ddp = o.ddp ?? new DistributedDataParallel(model, o.ddpOptions);
  if (ddp.module !== model) throw new Error('distributedFit: options.ddp wraps a different model');
  const { rank, worldSize } = ddp;
  const optimizer = makeOptimizer(model, recipe);
  const scheduler = makeScheduler(optimizer, recipe);
  const history: EpochMetrics[] = [];
  const start = performance.now();
  try {
    let first = 0;
    if (o.resume) {
      // Every rank loads the same resume state (the checkpoint directory must be readable on every host).
      optimizer.loadStateDict(o.resume.optimizer);
      history.push(...o.resume.history);
      first = o.resume.epoch;
      for (let e = 0; e < first; e++) scheduler?.step();
    }
    for (let epoch = first; epoch < recipe.epochs; epoch++) {
      manualSeed(Number(deriveSeed(seed, 'fit-epoch', epoch, rank) & 0xffffffffn));
      // The same seed as fit()'s loader: the global order is the one a 1-process fit visits.
      const loader = shardedLoader(data, {
        globalBatchSize: recipe.batchSize,
        worldSize,
        rank,
        epoch,
        seed: deriveSeed(seed, 'fit'),
        ...(recipe.augment ? { augment: { cropPadding: 4, flip: true } } : {}),
      });
      model.train();
      const t0 = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let globalLossSum = 0;
      let globalSeen = 0;
      let b = 0;
      for (const batch of loader) {
        try {
          const [loss, hits] = tidy(() => {
            const logits = ddp.forward(batch.x);
            const l = crossEntropy(logits, batch.y);
            const value = l.item();
            optimizer.zeroGrad();
            l.backward();
            const mean = ddp.syncGradients({ loss: value });
            if (!Number.isFinite(mean)) throw new TrainingDivergedError(mean, epoch, b);
            optimizer.step();
            return [mean, noGrad(() => logits.argmax(1).eq(batch.y).sum().item())];
          });
          // Equal shard sizes on every rank: the mean of per-rank means is the global batch mean.
          globalLossSum += loss * batch.indices.length * worldSize;
          globalSeen += batch.indices.length * worldSize;
          lossSum += loss * batch.indices.length;
          correct += hits;
          seen += batch.indices.length;
        } finally {
          batch.dispose();
        }
        b++;
        o.onStep?.({ epoch, batch: b, commSeconds: ddp.group.commSeconds });
        o.onBatch?.({ epoch, epochs: recipe.epochs, batch: b, batches: loader.length, loss: globalLossSum / globalSeen, imagesPerSecond: (globalSeen * 1000) / (performance.now() - t0) });
        if (b % 8 === 0) {
          await yieldToLoop();
          o.signal?.throwIfAborted();
        }
      }
      ddp.syncBuffers();
      const [sumLoss, sumCorrect, sumSeen] = ddp.sumNumbers([lossSum, correct, seen]) as [number, number, number];
      const metrics: EpochMetrics = {
        epoch: epoch + 1,
        lr: optimizer.paramGroups[0]!.lr,
        trainLoss: sumLoss / sumSeen,
        trainAccuracy: (100 * sumCorrect) / sumSeen,
        seconds: (performance.now() - t0) / 1000,
      };
      scheduler?.step();
      if (o.validation) {
        const acc = ddp.isMaster ? evaluateSplit(model, o.validation).accuracy : 0;
        metrics.valAccuracy = ddp.broadcastNumbers([acc], 0)[0]!;
      }
      history.push(metrics);
      o.onEpoch?.(metrics);
      if (ddp.isMaster) o.onCheckpoint?.({ epoch: epoch + 1, optimizer: optimizer.stateDict(), history: [...history] });
      await yieldToLoop();
      o.signal?.throwIfAborted();
    }
    return { history, recipe, seconds: (performance.now() - start) / 1000 };
  } finally {
    optimizer.dispose();
  }
}
