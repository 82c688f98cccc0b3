// Training the class-conditional DDPM: the reference's loop (Adam, gradient clipping 1.0, conditioning dropout 0.1,
// antithetic timesteps, EMA), counted in iterations over an endless shuffled stream of batches.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { TensorDataset } from '../data/dataset.js';
import { Adam } from '../optim/adam.js';
import { clipGradNorm } from '../optim/clip.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import { manualSeed, tidy } from '../torch/index.js';
import { deriveSeed } from '../data/random.js';
import { cycleBatches, toModelRange } from './data.js';
import { Ema } from './ema.js';
import { diffusionLoss } from './loss.js';
import type { NoiseSchedule } from './schedule.js';
import type { UNet } from './unet.js';
import { refuseUnknownKeys } from '../util/options.js';
import { checkPositiveInt } from '../nn/check.js';
import { FLOAT32_MAX } from '../torch/dtype.js';

/** Options of trainDiffusion; an unknown key is an error, and the counts must be positive integers. */
export interface DiffusionTrainOptions {
  /** optimizer steps (default 6000) */
  iterations?: number;
  /** default 128 (the reference's) */
  batchSize?: number;
  /** Adam learning rate (default 1e-3: a short CPU run needs more than the reference's 2e-4 for 800k steps) */
  lr?: number;
  /** linear learning-rate warm-up, in iterations (default 200) */
  warmup?: number;
  /** global gradient-norm clip (default 1.0) */
  gradClip?: number;
  /** conditioning dropout to the null class (default 0.1) */
  condDrop?: number;
  /** drop each pass's last partial batch (default true; the reference's loader keeps it: false) */
  dropLast?: boolean;
  /** seeds batches, timesteps, noise and dropout (default 0) */
  seed?: number;
  /** train on these samples only (default: all) */
  indices?: Int32Array;
  /** Called after every iteration with its loss, learning rate and the throughput so far. */
  onProgress?: (p: { iteration: number; iterations: number; loss: number; lr: number; imagesPerSecond: number }) => void;
  /** called every checkpointEvery iterations (and at the end) with what a resume needs; its tensors live during the call only */
  onCheckpoint?: (s: DiffusionTrainState) => void;
  /** Iterations between onCheckpoint calls (default 500). */
  checkpointEvery?: number;
  /** continue from this state (model and EMA must already hold that iteration's weights) */
  resume?: { iteration: number; optimizer: OptimizerStateDict; lossHistory: number[] };
  /** Aborts between iterations; trainDiffusion then rejects with its reason. */
  signal?: AbortSignal;
}

/** What trainDiffusion hands onCheckpoint: enough to resume at `iteration`. */
export interface DiffusionTrainState {
  /** Iterations completed. */
  iteration: number;
  /** The Adam state; its tensors live during the onCheckpoint call only. */
  optimizer: OptimizerStateDict;
  /** The EMA being trained (the caller's own object). */
  ema: Ema;
  /** mean loss of each block of 100 iterations */
  lossHistory: number[];
}

/** What trainDiffusion resolves to. */
export interface DiffusionTrainResult {
  /** Iterations completed (resumed ones included). */
  iterations: number;
  /** The loss of the last iteration. */
  finalLoss: number;
  /** How many training samples the batches were drawn from (all of the data, or `indices`). */
  trainingSamples: number;
  /** Mean loss of each block of 100 iterations (the last block may be shorter). */
  lossHistory: number[];
  /** Wall time of this call. */
  seconds: number;
}

const TRAIN_KEYS = [
  'iterations', 'batchSize', 'lr', 'warmup', 'gradClip', 'condDrop', 'dropLast', 'seed', 'indices', 'onProgress', 'onCheckpoint', 'checkpointEvery', 'resume', 'signal',
] as const satisfies readonly (keyof DiffusionTrainOptions)[];

/** Trains `model` in place on [0, 1] images of `data`; the EMA weights are kept in `ema` (created by the caller). */
export async function trainDiffusion(model: UNet, ema: Ema, schedule: NoiseSchedule, data: TensorDataset, o: DiffusionTrainOptions = {}): Promise<DiffusionTrainResult> {
  model.checkLive('trainDiffusion');
  const iterations = o.iterations ?? 6000;
  const lr = o.lr ?? 1e-3;
  const warmup = o.warmup ?? 200;
  const clip = o.gradClip ?? 1;
  const seed = o.seed ?? 0;
  const every = o.checkpointEvery ?? 500;
  // (the EMA's decay is the Ema's own: new Ema(model, decay))
  refuseUnknownKeys('trainDiffusion', o, TRAIN_KEYS);
  for (const [key, v] of [['iterations', iterations], ['batchSize', o.batchSize], ['checkpointEvery', every]] as const) {
    if (v !== undefined) checkPositiveInt('trainDiffusion', key, v);
  }
  if (!(lr > 0 && lr <= FLOAT32_MAX)) throw new RangeError(`trainDiffusion: lr must be positive and within float32's range, got ${lr}`);
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new RangeError(`trainDiffusion: warmup must be an integer ≥ 0, got ${warmup}`);
  if (!(clip > 0)) throw new RangeError(`trainDiffusion: gradClip must be positive, got ${clip}`);
  if (o.condDrop !== undefined && !(o.condDrop >= 0 && o.condDrop < 1)) throw new RangeError(`trainDiffusion: condDrop must be in [0, 1), got ${o.condDrop}`);
  if (data.imageShape[0] !== model.config.inChannels) {
    throw new Error(`trainDiffusion: the data has ${data.imageShape[0]} channel(s) but the UNet expects ${model.config.inChannels}`);
  }
  if (data.numClasses !== model.config.numClasses) {
    throw new Error(`trainDiffusion: the data has ${data.numClasses} classes but the UNet was built for ${model.config.numClasses}`);
  }
  const optimizer = new Adam(model.parameters(), { lr });
  const start = performance.now();
  const first = o.resume?.iteration ?? 0;
  const lossHistory = [...(o.resume?.lossHistory ?? [])];
  if (o.resume) optimizer.loadStateDict(o.resume.optimizer);
  const batches = cycleBatches(data, { batchSize: o.batchSize ?? 128, seed, skip: first, tag: 'diffusion-train', dropLast: o.dropLast ?? true, ...(o.indices ? { indices: o.indices } : {}) });
  let blockSum = 0;
  let blockN = 0;
  let last = NaN;
  let seen = 0;
  model.train();
  try {
    for (let it = first; it < iterations; it++) {
      // Reseeded per iteration so a resumed run draws the same timesteps, noise and dropout as an unbroken one.
      manualSeed(Number(deriveSeed(seed, 'diffusion-iter', it) & 0xffffffffn));
      const rate = warmup > 0 ? lr * Math.min(1, (it + 1) / warmup) : lr;
      (optimizer.paramGroups[0] as { lr: number }).lr = rate;
      const batch = batches.next().value;
      try {
        last = tidy(() => {
          const x0 = toModelRange(batch.x, model.config.imageSize);
          const loss = diffusionLoss(model, schedule, x0, batch.y, { condDrop: o.condDrop ?? 0.1 });
          const value = loss.item();
          if (!Number.isFinite(value)) throw new Error(`diffusion training diverged: the loss became ${value} at iteration ${it + 1}; lower the learning rate`);
          optimizer.zeroGrad();
          loss.backward();
          clipGradNorm([...model.parameters()], clip);
          optimizer.step();
          return value;
        });
        seen += batch.indices.length;
      } finally {
        batch.dispose();
      }
      ema.update(model);
      blockSum += last;
      blockN++;
      if (blockN === 100) {
        lossHistory.push(blockSum / blockN);
        blockSum = 0;
        blockN = 0;
      }
      o.onProgress?.({ iteration: it + 1, iterations, loss: last, lr: rate, imagesPerSecond: (seen * 1000) / (performance.now() - start) });
      if (o.onCheckpoint && ((it + 1) % every === 0 || it + 1 === iterations)) {
        const state = optimizer.stateDict();
        try {
          o.onCheckpoint({ iteration: it + 1, optimizer: state, ema, lossHistory: [...lossHistory] });
        } finally {
          for (const t of state.state.values()) t.dispose();
        }
      }
      await yieldToLoop();
      o.signal?.throwIfAborted();
    }
  } finally {
    batches.return(undefined as never);
    optimizer.dispose();
  }
  if (blockN > 0) lossHistory.push(blockSum / blockN);
  return { iterations, finalLoss: last, trainingSamples: o.indices?.length ?? data.size, lossHistory, seconds: (performance.now() - start) / 1000 };
}
