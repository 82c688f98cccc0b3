// What the `lethe diffusion train|unlearn|sample|eval|classifier` subcommands call: plain options in, results
// out, progress through a callback, cancellation through an AbortSignal. Outputs are checkpoint directories
// (atomic, manifest last) and PNG files (atomic).
import { existsSync } from 'node:fs';
import { ensureDirectory } from '../io/atomic.js';
import { dirname, join } from 'node:path';
import type { TrainTest } from '../data/idx.js';
import { loadFashionMnist, loadImageDataset } from '../data/datasets.js';
import type { ImageClassifier } from '../models/classifier.js';
import { loadCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import { manualSeed, tidy } from '../torch/index.js';
import { resolveUNetConfig, type UNetConfig, type UNetPreset } from './config.js';
import {
  clearDiffusionResume,
  loadDiffusionCheckpoint,
  loadDiffusionResume,
  saveDiffusionCheckpoint,
  saveDiffusionResume,
  type DiffusionManifest,
} from './checkpoint.js';
import { EVAL_CLASSIFIER_RECIPE, EVAL_CLASSIFIER_SPEC, trainEvalClassifier } from './classifier.js';
import { Ema } from './ema.js';
import { evaluateGenerator, gridLabels, pickPerClass, type GenerationReport } from './evaluate.js';
import { imageGrid, writePng, type RasterImage } from './png.js';
import { sampleImages, type SampleOptions } from './samplers.js';
import { NoiseSchedule } from './schedule.js';
import { trainDiffusion, type DiffusionTrainResult } from './train.js';
import { UNet } from './unet.js';
import { unlearnDiffusion, type DiffusionUnlearnMethod, type DiffusionUnlearnResult } from './unlearn.js';

/** One progress report: a phase, a position in it, and the latest loss when there is one. */
export interface DiffusionProgress {
  phase: 'train' | 'classifier' | 'gradient' | 'unlearn' | 'sample' | 'eval';
  step: number;
  steps: number;
  loss?: number;
}
export type ProgressFn = (p: DiffusionProgress) => void;

/** 'fashion-mnist' (default), another dataset name, or a directory (see loadImageDataset). */
function loadData(data: string | undefined): TrainTest {
  return data === undefined || data === 'fashion-mnist' ? loadFashionMnist() : loadImageDataset(data);
}
function disposeData(d: TrainTest): void {
  d.train.dispose();
  d.test.dispose();
}

// ---- train -------------------------------------------------------------------------------------------------

export interface DiffusionTrainCommandOptions {
  /** output checkpoint directory */
  out: string;
  data?: string;
  /** a preset name or a (partial) config; numClasses/inChannels follow the data when not given */
  unet?: UNetPreset | (Partial<UNetConfig> & { preset?: UNetPreset });
  timesteps?: number;
  iterations?: number;
  batchSize?: number;
  lr?: number;
  warmup?: number;
  emaDecay?: number;
  condDrop?: number;
  seed?: number;
  /** continue from resume state in `out` if there is one (default true) */
  resume?: boolean;
  checkpointEvery?: number;
}

export async function diffusionTrainCommand(
  o: DiffusionTrainCommandOptions,
  progress?: ProgressFn,
  signal?: AbortSignal,
): Promise<{ manifest: DiffusionManifest; result: DiffusionTrainResult; resumedFrom: number }> {
  const seed = o.seed ?? 0;
  const base = typeof o.unet === 'string' ? { preset: o.unet } : (o.unet ?? {});
  const schedule = new NoiseSchedule({ timesteps: o.timesteps ?? 1000 });
  const data = loadData(o.data);
  let model: UNet;
  let ema: Ema;
  try {
    const [c, h] = data.train.imageShape;
    const size = 2 ** Math.ceil(Math.log2(h)); // 28 → 32
    const config = resolveUNetConfig({ imageSize: size, inChannels: c, numClasses: data.train.numClasses, ...base });
    manualSeed(seed);
    model = new UNet(config);
    ema = new Ema(model, o.emaDecay ?? 0.999);
  } catch (e) {
    disposeData(data);
    throw e;
  }
  const options = { iterations: o.iterations ?? 6000, batchSize: o.batchSize ?? 128, lr: o.lr ?? 1e-3, warmup: o.warmup ?? 200, condDrop: o.condDrop ?? 0.1, seed, timesteps: schedule.timesteps, emaDecay: ema.decay };
  try {
    const resume = o.resume === false ? null : loadDiffusionResume(o.out, model, ema);
    try {
      // (the manifest's options also record the schedule's and the EMA's settings, which are not the loop's)
      const { timesteps: _t, emaDecay: _e, ...loop } = options;
      const result = await trainDiffusion(model, ema, schedule, data.train, {
        ...loop,
        checkpointEvery: o.checkpointEvery ?? 500,
        onProgress: (p) => progress?.({ phase: 'train', step: p.iteration, steps: p.iterations, loss: p.loss }),
        onCheckpoint: (s) => saveDiffusionResume(o.out, model, ema, { iteration: s.iteration, optimizer: s.optimizer, lossHistory: s.lossHistory, options }),
        ...(resume ? { resume } : {}),
        ...(signal ? { signal } : {}),
      });
      const manifest = saveDiffusionCheckpoint(o.out, model, schedule, {
        kind: 'original',
        ema,
        dataset: o.data ?? 'fashion-mnist',
        training: { ...options, finalLoss: result.finalLoss, lossHistory: result.lossHistory, seconds: result.seconds },
      });
      clearDiffusionResume(o.out);
      return { manifest, result, resumedFrom: resume?.iteration ?? 0 };
    } finally {
      if (resume) for (const t of resume.optimizer.state.values()) t.dispose();
    }
  } finally {
    model.dispose();
    ema.dispose();
    disposeData(data);
  }
}

// ---- unlearn -----------------------------------------------------------------------------------------------

export interface DiffusionUnlearnCommandOptions {
  /** the trained diffusion checkpoint (its EMA weights are the starting point, as in the reference) */
  model: string;
  out: string;
  method: DiffusionUnlearnMethod;
  forgetClass: number;
  data?: string;
  iterations?: number;
  batchSize?: number;
  lr?: number;
  alpha?: number;
  useRetain?: boolean;
  maskRatio?: number;
  gamma?: number;
  gradientSamples?: number;
  seed?: number;
}

export async function diffusionUnlearnCommand(
  o: DiffusionUnlearnCommandOptions,
  progress?: ProgressFn,
  signal?: AbortSignal,
): Promise<{ manifest: DiffusionManifest; result: DiffusionUnlearnResult }> {
  const { model, schedule, manifest: source } = loadDiffusionCheckpoint(o.model);
  let data: TrainTest;
  try {
    data = loadData(o.data);
  } catch (e) {
    model.dispose();
    throw e;
  }
  try {
    const { model: unlearned, result } = await unlearnDiffusion(model, schedule, data.train, {
      method: o.method,
      forgetClass: o.forgetClass,
      ...(o.iterations !== undefined ? { iterations: o.iterations } : {}),
      ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
      ...(o.lr !== undefined ? { lr: o.lr } : {}),
      ...(o.alpha !== undefined ? { alpha: o.alpha } : {}),
      ...(o.useRetain !== undefined ? { useRetain: o.useRetain } : {}),
      ...(o.maskRatio !== undefined ? { maskRatio: o.maskRatio } : {}),
      ...(o.gamma !== undefined ? { subspace: { gamma: o.gamma } } : {}),
      ...(o.gradientSamples !== undefined ? { gradientSamples: o.gradientSamples } : {}),
      seed: o.seed ?? 0,
      onProgress: (p) => progress?.({ phase: p.phase, step: p.step, steps: p.steps, ...(p.loss !== undefined ? { loss: p.loss } : {}) }),
      ...(signal ? { signal } : {}),
    });
    try {
      const manifest = saveDiffusionCheckpoint(o.out, unlearned, schedule, {
        kind: 'unlearned',
        source: { dir: o.model, sha256: source.ema?.sha256 ?? source.weights.sha256 },
        dataset: o.data ?? 'fashion-mnist',
        unlearning: result,
      });
      return { manifest, result };
    } finally {
      unlearned.dispose();
    }
  } finally {
    model.dispose();
    disposeData(data);
  }
}

// ---- sample ------------------------------------------------------------------------------------------------

export interface DiffusionSampleCommandOptions extends Omit<SampleOptions, 'onStep' | 'signal'> {
  model: string;
  /** output PNG: one row per class */
  out: string;
  /** samples per class (columns; default 8) */
  perClass?: number;
  /** classes to draw (rows; default all) */
  classes?: number[];
  weights?: 'auto' | 'ema' | 'model';
}

export async function diffusionSampleCommand(
  o: DiffusionSampleCommandOptions,
  progress?: ProgressFn,
  signal?: AbortSignal,
): Promise<{ path: string; width: number; height: number; rows: number; cols: number; seconds: number }> {
  const start = performance.now();
  const { model, schedule } = loadDiffusionCheckpoint(o.model, { weights: o.weights ?? 'auto' });
  try {
    const classes = o.classes ?? Array.from({ length: model.config.numClasses }, (_, c) => c);
    const perClass = o.perClass ?? 8;
    const { model: _m, out: _o, perClass: _p, classes: _c, weights: _w, ...sampleOpts } = o;
    const images = await sampleImages(model, schedule, gridLabels(classes, perClass), {
      seed: 0,
      ...sampleOpts,
      onStep: (p) => progress?.({ phase: 'sample', step: (p.batch - 1) * p.steps + p.step, steps: p.batches * p.steps }),
      ...(signal ? { signal } : {}),
    });
    try {
      const grid = imageGrid(images, perClass);
      ensureDirectory(dirname(o.out));
      writePng(o.out, grid);
      return { path: o.out, width: grid.width, height: grid.height, rows: classes.length, cols: perClass, seconds: (performance.now() - start) / 1000 };
    } finally {
      images.dispose();
    }
  } finally {
    model.dispose();
  }
}

// ---- evaluation classifier ---------------------------------------------------------------------------------

export interface DiffusionClassifierCommandOptions {
  out: string;
  data?: string;
  epochs?: number;
  seed?: number;
  /** refuse a classifier below this test accuracy (default 90) */
  minAccuracy?: number;
}

/** Trains and saves the evaluation classifier (a normal Lethe classification checkpoint). */
export async function diffusionClassifierCommand(o: DiffusionClassifierCommandOptions, progress?: ProgressFn, signal?: AbortSignal): Promise<{ testAccuracy: number; dir: string }> {
  const data = loadData(o.data);
  try {
    const epochs = o.epochs ?? EVAL_CLASSIFIER_RECIPE.epochs!;
    const { model, testAccuracy, history } = await trainEvalClassifier(data.train, data.test, {
      seed: o.seed ?? 0,
      recipe: { epochs },
      minAccuracy: o.minAccuracy ?? 90,
      onEpoch: (m) => progress?.({ phase: 'classifier', step: m.epoch, steps: epochs, loss: m.trainLoss }),
      ...(signal ? { signal } : {}),
    });
    try {
      saveCheckpoint(o.out, model, model.spec, {
        kind: 'diffusion-eval-classifier',
        dataset: o.data ?? 'fashion-mnist',
        recipe: { ...EVAL_CLASSIFIER_RECIPE, epochs },
        spec: EVAL_CLASSIFIER_SPEC,
        testAccuracy,
        history,
      });
      return { testAccuracy, dir: o.out };
    } finally {
      model.dispose();
    }
  } finally {
    disposeData(data);
  }
}

// ---- eval --------------------------------------------------------------------------------------------------

export interface DiffusionEvalCommandOptions extends Omit<SampleOptions, 'onStep' | 'signal' | 'batchSize'> {
  model: string;
  /** the evaluation classifier's checkpoint (diffusionClassifierCommand) */
  classifier: string;
  forgetClass: number;
  data?: string;
  samplesForget?: number;
  samplesPerClass?: number;
  realPerClass?: number;
  /** also write a sample grid to this PNG: one row per class, the first 8 evaluation samples of each class */
  grid?: string;
  weights?: 'auto' | 'ema' | 'model';
}

export async function diffusionEvalCommand(o: DiffusionEvalCommandOptions, progress?: ProgressFn, signal?: AbortSignal): Promise<GenerationReport & { grid?: string }> {
  if (!existsSync(join(o.classifier, 'manifest.json'))) {
    throw new Error(`no evaluation classifier at '${o.classifier}': train one first (lethe diffusion classifier --out ${o.classifier})`);
  }
  const { model: classifier } = loadCheckpoint(o.classifier);
  let loaded: { model: UNet; schedule: NoiseSchedule; data: TrainTest };
  try {
    const { model, schedule } = loadDiffusionCheckpoint(o.model, { weights: o.weights ?? 'auto' });
    try {
      loaded = { model, schedule, data: loadData(o.data) };
    } catch (e) {
      model.dispose();
      throw e;
    }
  } catch (e) {
    classifier.dispose();
    throw e;
  }
  const { model, schedule, data } = loaded;
  try {
    const { model: _m, classifier: _c, data: _d, grid: _g, weights: _w, ...rest } = o;
    let grid: RasterImage | null = null;
    const report = await evaluateGenerator(model, schedule, classifier as ImageClassifier, data.test, {
      seed: 0,
      ...rest,
      // the grid reuses the evaluation's samples (8 per class when there are that many): no extra sampling
      ...(o.grid !== undefined ? { onImages: (images, labels) => (grid = tidy(() => imageGrid(pickPerClass(images, labels, model.config.numClasses, 8), 8))) } : {}),
      onProgress: (p) => progress?.({ phase: 'eval', step: p.done, steps: p.total }),
      ...(signal ? { signal } : {}),
    });
    if (o.grid === undefined || grid === null) return report;
    ensureDirectory(dirname(o.grid));
    writePng(o.grid, grid);
    return { ...report, grid: o.grid };
  } finally {
    model.dispose();
    classifier.dispose();
    disposeData(data);
  }
}
