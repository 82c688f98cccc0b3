// fit(): supervised training with per-epoch metrics, seeded determinism, NaN abort, and resumable checkpoints.
//
// One piece serves pretraining the original model and the `retrain` baseline (train from scratch on D_r).
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Module } from '../nn/module.js';
import type { TensorDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import { deriveSeed } from '../data/random.js';
import { SGD } from '../optim/sgd.js';
import { Adam } from '../optim/adam.js';
import { CosineAnnealingLR, MultiStepLR, type LRScheduler } from '../optim/schedulers.js';
import type { Optimizer, BaseOptions } from '../optim/optimizer.js';
import { crossEntropy, manualSeed, noGrad, tidy } from '../torch/index.js';
import { evaluateSplit } from '../eval/outputs.js';
import { resolveRecipe, type TrainRecipe } from './recipe.js';
import type { ParallelHooks } from './parallel.js';

/** One epoch of fit(), as onEpoch and FitResult.history report it. */
export interface EpochMetrics {
  /** 1-based epoch number. */
  epoch: number;
  /** The first group's learning rate during the epoch. */
  lr: number;
  /** Mean cross-entropy over the epoch's training batches. */
  trainLoss: number;
  /** accuracy on the training batches as seen during the epoch (train mode, augmented) */
  trainAccuracy: number;
  /** accuracy on the validation set, if one was given */
  valAccuracy?: number;
  /** Wall time of the epoch's training pass (validation excluded). */
  seconds: number;
}

export interface FitProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  imagesPerSecond: number;
}

/** State a resumed run restarts from (written by the caller's checkpoint hook, e.g. with saveResumeState). */
export interface ResumeState {
  /** epochs already completed */
  epoch: number;
  /** The optimizer's state dict after that epoch. */
  optimizer: ReturnType<Optimizer<BaseOptions>['stateDict']>;
  /** The metrics of the completed epochs. */
  history: EpochMetrics[];
}

/** Options of fit(). */
export interface FitOptions {
  /** Overrides of PROTOCOL_RECIPE (resolveRecipe fills the rest and validates it). */
  recipe?: Partial<TrainRecipe>;
  /** seeds shuffling, augmentation and dropout (default 0) */
  seed?: number;
  /** Evaluated after every epoch into EpochMetrics.valAccuracy. */
  validation?: TensorDataset;
  /** Called after every batch with the running loss and throughput. */
  onBatch?: (p: FitProgress) => void;
  /** Called after every epoch with its metrics. */
  onEpoch?: (m: EpochMetrics) => void;
  /**
   * called after every epoch with what a resume needs; the caller writes it atomically (saveResumeState does).
   * The state's tensors live during the call only: fit disposes them afterwards, so copy what must outlive it.
   */
  onCheckpoint?: (state: ResumeState) => void;
  /** continue a run from this state (the model must hold the weights of that epoch) */
  resume?: ResumeState;
  /** Aborts between batches; fit then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Data-parallel training (src/distributed): each rank trains on its shard of every global batch, gradients are
   * averaged before each step, BatchNorm statistics are made to agree at each epoch end, and only rank 0 validates
   * and checkpoints. The result equals a 1-process run with the same global batch up to float tolerance.
   */
  parallel?: ParallelHooks;
}

/** What fit() resolves to. */
export interface FitResult {
  /** Every epoch's metrics, resumed ones included. */
  history: EpochMetrics[];
  /** The recipe the run used, defaults filled in. */
  recipe: TrainRecipe;
  /** Wall time of the whole call. */
  seconds: number;
}

/** Thrown by fit() when the training loss stops being finite; the message suggests a lower learning rate. */
export class TrainingDivergedError extends Error {
  constructor(value: number, epoch: number, batch: number) {
    super(`training diverged: the loss became ${value} at epoch ${epoch + 1}, batch ${batch + 1}. Lower the learning rate (the recipe's lr; --lr on the command line); nothing was saved from this epoch.`);
    this.name = 'TrainingDivergedError';
  }
}

export function makeOptimizer(model: Module, r: TrainRecipe): Optimizer<BaseOptions> {
  const params = [...model.parameters()].filter((p) => p.requiresGrad);
  if (params.length === 0) throw new Error('fit: the model has no trainable parameter (is it frozen?)');
  return (r.optimizer === 'adam'
    ? new Adam(params, { lr: r.lr, weightDecay: r.weightDecay })
    : new SGD(params, { lr: r.lr, momentum: r.momentum, weightDecay: r.weightDecay })) as unknown as Optimizer<BaseOptions>;
}

export function makeScheduler(opt: Optimizer<BaseOptions>, r: TrainRecipe): LRScheduler | null {
  if (r.schedule === 'multistep') return new MultiStepLR(opt, { milestones: r.milestones, gamma: r.gamma });
  if (r.schedule === 'cosine') return new CosineAnnealingLR(opt, { tMax: r.epochs });
  return null;
}

/** Trains `model` in place on `data` with cross-entropy. */
export async function fit(model: Module, data: TensorDataset, o: FitOptions = {}): Promise<FitResult> {
  model.checkLive('fit');
  const recipe = resolveRecipe(o.recipe);
  const seed = o.seed ?? 0;
  if (data.size === 0) throw new Error('fit: the training set is empty');
  const optimizer = makeOptimizer(model, recipe);
  const scheduler = makeScheduler(optimizer, recipe);
  const history: EpochMetrics[] = [];
  const start = performance.now();
  try {
    let first = 0;
    if (o.resume) {
      optimizer.loadStateDict(o.resume.optimizer);
      history.push(...o.resume.history);
      first = o.resume.epoch;
      for (let e = 0; e < first; e++) scheduler?.step();
    }
    const p = o.parallel;
    const augment = recipe.augment ? { augment: { cropPadding: 4, flip: true } } : {};
    const loaderSeed = deriveSeed(seed, 'fit');
    const single = p ? null : new DataLoader(data, { batchSize: recipe.batchSize, shuffle: true, seed: loaderSeed, ...augment });
    for (let epoch = first; epoch < recipe.epochs; epoch++) {
      // Reseeding per epoch makes a resumed run draw the same augmentation/dropout randomness as an unbroken one
      // (in parallel each rank draws its own stream).
      manualSeed(Number(deriveSeed(seed, 'fit-epoch', epoch, ...(p ? [p.rank] : [])) & 0xffffffffn));
      let loader: DataLoader;
      if (single) {
        single.epoch = epoch;
        loader = single;
      } else {
        loader = p!.loader(data, { globalBatchSize: recipe.batchSize, seed: loaderSeed, epoch, ...augment });
      }
      model.train();
      const t0 = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let b = 0;
      for (const batch of loader) {
        try {
          const [loss, hits] = tidy(() => {
            const logits = model.forward(batch.x);
            const l = crossEntropy(logits, batch.y);
            let value = l.item();
            if (!p && !Number.isFinite(value)) throw new TrainingDivergedError(value, epoch, b);
            optimizer.zeroGrad();
            l.backward();
            // in parallel the NaN check uses the mean over ranks, so every rank stops at the same step
            if (p) value = p.syncGradients({ loss: value });
            if (!Number.isFinite(value)) throw new TrainingDivergedError(value, epoch, b);
            optimizer.step();
            return [value, noGrad(() => logits.argmax(1).eq(batch.y).sum().item())];
          });
          lossSum += loss * batch.indices.length;
          correct += hits;
          seen += batch.indices.length;
        } finally {
          batch.dispose();
        }
        b++;
        const world = p?.worldSize ?? 1;
        o.onBatch?.({ epoch, epochs: recipe.epochs, batch: b, batches: loader.length, loss: lossSum / seen, imagesPerSecond: (seen * world * 1000) / (performance.now() - t0) });
        // yield now and then so signals (Ctrl-C) and timers run; honour an abort at every batch
        if (b % 8 === 0) await yieldToLoop();
        o.signal?.throwIfAborted();
      }
      if (p) {
        p.syncBuffers();
        [lossSum, correct, seen] = p.sumNumbers([lossSum, correct, seen]) as [number, number, number];
      }
      const metrics: EpochMetrics = {
        epoch: epoch + 1,
        lr: optimizer.paramGroups[0]!.lr,
        trainLoss: lossSum / seen,
        trainAccuracy: (100 * correct) / seen,
        seconds: (performance.now() - t0) / 1000,
      };
      scheduler?.step();
      if (o.validation) {
        const acc = !p || p.isMaster ? evaluateSplit(model, o.validation).accuracy : 0;
        metrics.valAccuracy = p ? p.broadcastNumbers([acc], 0)[0]! : acc;
      }
      history.push(metrics);
      o.onEpoch?.(metrics);
      if (o.onCheckpoint && (!p || p.isMaster)) {
        const state = optimizer.stateDict();
        try {
          o.onCheckpoint({ epoch: epoch + 1, optimizer: state, history: [...history] });
        } finally {
          for (const t of state.state.values()) t.dispose();
        }
      }
      await yieldToLoop();
      o.signal?.throwIfAborted();
    }
    return { history, recipe, seconds: (performance.now() - start) / 1000 };
  } finally {
    optimizer.dispose();
    model.zeroGrad(); // leave no gradients behind on the trained model
  }
}
