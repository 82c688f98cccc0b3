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
import { indicesOfClasses } from './data.js';
import { settingsDiff } from '../util/settings-diff.js';
import { diffusionSaliencyMasks, prepareSelectiveAmnesia, unlearnDiffusion, type DiffusionUnlearnMethod, type DiffusionUnlearnResult } from './unlearn.js';
import { disposeSaPrepared, loadSaFile, saveSaFile, type LoadedSaFile, type SaPassSettings } from './sa-file.js';
import type { EsdSettings } from './esd.js';
import type { SaSettings } from './sa.js';
import { loadMaskFile, maskProvenanceWarnings, saveMaskFile, type LoadedMaskFile } from '../unlearn/blocks/mask-file.js';
import type { SaliencyMask } from '../unlearn/blocks/saliency.js';
import type { SubspaceOptions } from '../unlearn/blocks/subspace.js';

/** One progress report: a phase, a position in it, and the latest loss when there is one. */
export interface DiffusionProgress {
  /** What is running. */
  phase: 'train' | 'classifier' | 'gradient' | 'fim' | 'unlearn' | 'sample' | 'eval';
  /** Steps done in this phase. */
  step: number;
  /** Steps in this phase. */
  steps: number;
  /** The latest loss, when the phase has one. */
  loss?: number;
}
/** Receives the diffusion commands' progress reports. */
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

/**
 * An interrupted run resumes only with the settings it started with (a resumed run with another lr, say, would be
 * neither run); the iteration count may differ, since no earlier step depends on it.
 */
function refuseOtherSettings(out: string, before: Record<string, unknown>, now: Record<string, unknown>): void {
  const differ = settingsDiff(before, now, ['iterations']);
  if (differ.length > 0) {
    throw new Error(`'${out}' holds an interrupted training run made with other settings (${differ.join('; ')}); rerun it with its settings to resume, or choose another output directory`);
  }
}

/** Options of diffusionTrainCommand (`lethe diffusion train`). */
export interface DiffusionTrainCommandOptions {
  /** output checkpoint directory */
  out: string;
  /** A dataset name or directory (loadImageDataset); default 'fashion-mnist'. */
  data?: string;
  /** a preset name or a (partial) config; numClasses/inChannels follow the data when not given */
  unet?: UNetPreset | (Partial<UNetConfig> & { preset?: UNetPreset });
  /** Diffusion steps T of the noise schedule (default 1000). */
  timesteps?: number;
  /** Optimizer steps (default 6000). */
  iterations?: number;
  /** Images per step (default 128). */
  batchSize?: number;
  /** Adam learning rate (default 1e-3). */
  lr?: number;
  /** Linear lr warm-up in iterations (default 200). */
  warmup?: number;
  /** Decay of the weights' moving average, in [0, 1) (default 0.999). */
  emaDecay?: number;
  /** Warm the EMA's decay up as min(d, (1 + n)/(10 + n)) (default true; the reference's fixed decay: false). */
  emaWarmup?: boolean;
  /** Drop each pass's last partial batch (default true; the reference's loader keeps it: false). */
  dropLast?: boolean;
  /** Conditioning dropout to the null class, in [0, 1) (default 0.1). */
  condDrop?: number;
  /**
   * Train without this class: the retrain reference of generative class forgetting, a model that never saw it (the
   * checkpoint's kind is then 'retrain'). Default: every class.
   */
  forgetClass?: number;
  /** Seeds the initialisation and the training (default 0). */
  seed?: number;
  /** continue from resume state in `out` if there is one (default true) */
  resume?: boolean;
  /** Iterations between resume states written to `out` (default 500). */
  checkpointEvery?: number;
}

/**
 * Trains a class-conditional DDPM on the data's training set and saves it (with its EMA) as a diffusion checkpoint in
 * `out`; resumes from a resume state there unless `resume` is false. Rejects with the signal's reason on abort.
 */
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
    // (the retrain keeps every class's embedding: sampling it with the forgotten label shows what a model that never saw it draws)
    if (o.forgetClass !== undefined && !(Number.isInteger(o.forgetClass) && o.forgetClass >= 0 && o.forgetClass < config.numClasses)) {
      throw new RangeError(`forgetClass must be a class of the data, in [0, ${config.numClasses}), got ${o.forgetClass}`);
    }
    manualSeed(seed);
    model = new UNet(config);
    ema = new Ema(model, o.emaDecay ?? 0.999, { warmup: o.emaWarmup ?? true });
  } catch (e) {
    disposeData(data);
    throw e;
  }
  const options = { iterations: o.iterations ?? 6000, batchSize: o.batchSize ?? 128, lr: o.lr ?? 1e-3, warmup: o.warmup ?? 200, condDrop: o.condDrop ?? 0.1, dropLast: o.dropLast ?? true, seed, timesteps: schedule.timesteps, emaDecay: ema.decay, emaWarmup: ema.warmup, forgetClass: o.forgetClass ?? null };
  try {
    const resume = o.resume === false ? null : loadDiffusionResume(o.out, model, ema);
    try {
      if (resume) refuseOtherSettings(o.out, resume.options, options);
      // (the manifest's options also record the schedule's and the EMA's settings, which are not the loop's)
      const { timesteps: _t, emaDecay: _e, emaWarmup: _w, forgetClass, ...loop } = options;
      const result = await trainDiffusion(model, ema, schedule, data.train, {
        ...loop,
        ...(forgetClass !== null ? { indices: indicesOfClasses(data.train, [forgetClass], true) } : {}),
        checkpointEvery: o.checkpointEvery ?? 500,
        onProgress: (p) => progress?.({ phase: 'train', step: p.iteration, steps: p.iterations, loss: p.loss }),
        onCheckpoint: (s) => saveDiffusionResume(o.out, model, ema, { iteration: s.iteration, optimizer: s.optimizer, lossHistory: s.lossHistory, options }),
        ...(resume ? { resume } : {}),
        ...(signal ? { signal } : {}),
      });
      const manifest = saveDiffusionCheckpoint(o.out, model, schedule, {
        kind: forgetClass === null ? 'original' : 'retrain',
        ema,
        dataset: o.data ?? 'fashion-mnist',
        training: { ...options, trainingSamples: result.trainingSamples, finalLoss: result.finalLoss, lossHistory: result.lossHistory, seconds: result.seconds },
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

/**
 * Options of diffusionUnlearnCommand (`lethe diffusion unlearn`); unset values take unlearnDiffusion's defaults
 * (iterations, batch size and lr per method: DIFFUSION_UNLEARN_DEFAULTS; data 'fashion-mnist', seed 0).
 */
export interface DiffusionUnlearnCommandOptions {
  /** the trained diffusion checkpoint */
  model: string;
  /**
   * Which of its weights unlearning starts from: 'auto' (default: the EMA weights when present, which a DDPM samples
   * with), 'ema', or 'model' (the raw weights: the reference's saliency_unlearn and generate_mask load states[0] and
   * its unlearning and sampling configs set ema: False).
   */
  weights?: 'auto' | 'ema' | 'model';
  /** Output checkpoint directory. */
  out: string;
  /** 'salun', 'semu', 'ft', 'ga', 'esd' or 'sa'. */
  method: DiffusionUnlearnMethod;
  /** The class to forget. */
  forgetClass: number;
  /** A dataset name or directory (loadImageDataset); default 'fashion-mnist'. */
  data?: string;
  /** Unlearning steps. */
  iterations?: number;
  /** Images per step. */
  batchSize?: number;
  /** Adam learning rate. */
  lr?: number;
  /** Weight of the retain loss in salun/ga/semu (default 1e-3). */
  alpha?: number;
  /** salun, ga: add α · the retain loss (default true); semu: train on D_r too (default false). */
  useRetain?: boolean;
  /** salun: fraction of weights the mask keeps (default 0.5). */
  maskRatio?: number;
  /** salun: a saliency mask file (saveMask's, or any safetensors / torch.save dict of 0/1 tensors named like the UNet's parameters) instead of the gradient pass. */
  maskFile?: string;
  /** salun: write the mask this run computes to this file (safetensors), for later runs' maskFile. */
  saveMask?: string;
  /** semu: the subspace's settings over DDPM_SUBSPACE (γ 0.95, projection 'orthogonal', per-channel ranks, attention at full rank). */
  subspace?: SubspaceOptions;
  /** semu: the subspace's explained-variance ratio γ (default 0.95); short for subspace.gamma, not given with it. */
  gamma?: number;
  /** Forget images used for the mask or subspace gradient (default: all of the class). */
  gradientSamples?: number;
  /** told each way the maskFile's record differs from this run (other weights, another class); also kept in the manifest */
  onWarning?: (message: string) => void;
  /** Conditioning dropout of the unlearning losses, in [0, 1) (default 0.1, the reference's train-mode value). */
  condDrop?: number;
  /** Gradient-norm clip before each step (default 1, the reference's grad_clip; esd: none). */
  gradClip?: number;
  /** esd: its settings over ESD_DEFAULTS (esd.ts). */
  esd?: Partial<EsdSettings>;
  /** sa: its settings over SA_DEFAULTS (sa.ts). */
  sa?: Partial<SaSettings>;
  /** sa: a file of diffusionReplayCommand's (lethe diffusion replay) instead of the replay and Fisher passes */
  saFile?: string;
  /** Drop each pass's last partial batch (default true; the reference's loaders keep it: false). */
  dropLast?: boolean;
  /** Seeds the unlearning run (default 0). */
  seed?: number;
}

/** The subspace settings of a command's options: `subspace` with `gamma`, its short form, over it (never both). */
function commandSubspace(o: Pick<DiffusionUnlearnCommandOptions, 'subspace' | 'gamma'>): SubspaceOptions {
  if (o.gamma !== undefined && o.subspace?.gamma !== undefined) throw new Error('gamma and subspace.gamma: given together; give one of them');
  return { ...o.subspace, ...(o.gamma !== undefined ? { gamma: o.gamma } : {}) };
}

/**
 * Unlearns one class from the diffusion checkpoint `model` (from the weights `weights` picks: by default its EMA
 * weights when it has them) and saves the result as a new checkpoint in `out`; the source is not modified.
 */
export async function diffusionUnlearnCommand(
  o: DiffusionUnlearnCommandOptions,
  progress?: ProgressFn,
  signal?: AbortSignal,
): Promise<{ manifest: DiffusionManifest; result: DiffusionUnlearnResult }> {
  // before the checkpoint and data load, so a conflict costs nothing
  const subspace = o.subspace !== undefined || o.gamma !== undefined ? commandSubspace(o) : undefined;
  const { model, schedule, sha256: sourceSha } = loadDiffusionCheckpoint(o.model, { weights: o.weights ?? 'auto' });
  let data: TrainTest;
  try {
    data = loadData(o.data);
  } catch (e) {
    model.dispose();
    throw e;
  }
  let loaded: LoadedMaskFile | null = null;
  let saFile: LoadedSaFile | null = null;
  let savedMask: { path: string; sha256: string } | null = null;
  try {
    if (o.maskFile !== undefined) loaded = loadMaskFile(model, o.maskFile);
    if (o.saFile !== undefined) saFile = loadSaFile(model, o.saFile);
    const maskWarnings = loaded === null ? [] : maskProvenanceWarnings(loaded.metadata, { model: sourceSha, forgetClass: o.forgetClass });
    for (const w of maskWarnings) o.onWarning?.(`maskFile: ${w}`);
    // an SA file from other weights still runs (replay from a sibling model can be meant), with a warning
    const saWarnings = saFile === null ? [] : maskProvenanceWarnings({ model: saFile.model }, { model: sourceSha });
    for (const w of saWarnings) o.onWarning?.(`saFile: ${w}`);
    const saveTo = o.saveMask;
    const { model: unlearned, result } = await unlearnDiffusion(model, schedule, data.train, {
      method: o.method,
      forgetClass: o.forgetClass,
      ...(o.iterations !== undefined ? { iterations: o.iterations } : {}),
      ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
      ...(o.lr !== undefined ? { lr: o.lr } : {}),
      ...(o.alpha !== undefined ? { alpha: o.alpha } : {}),
      ...(o.useRetain !== undefined ? { useRetain: o.useRetain } : {}),
      ...(o.maskRatio !== undefined ? { maskRatio: o.maskRatio } : {}),
      ...(loaded !== null ? { mask: loaded.mask } : {}),
      ...(saveTo !== undefined
        ? {
            onMaskBuilt: (m: SaliencyMask) => {
              const entry = saveMaskFile(saveTo, m, diffusionMaskMetadata(sourceSha, o));
              savedMask = { path: saveTo, sha256: entry.sha256 };
            },
          }
        : {}),
      ...(subspace !== undefined ? { subspace } : {}),
      ...(o.gradientSamples !== undefined ? { gradientSamples: o.gradientSamples } : {}),
      ...(o.condDrop !== undefined ? { condDrop: o.condDrop } : {}),
      ...(o.gradClip !== undefined ? { gradClip: o.gradClip } : {}),
      ...(o.dropLast !== undefined ? { dropLast: o.dropLast } : {}),
      ...(o.esd !== undefined ? { esd: o.esd } : {}),
      ...(o.sa !== undefined ? { sa: o.sa } : {}),
      ...(saFile !== null ? { saPrepared: saFile } : {}),
      seed: o.seed ?? 0,
      onProgress: (p) => progress?.({ phase: p.phase, step: p.step, steps: p.steps, ...(p.loss !== undefined ? { loss: p.loss } : {}) }),
      ...(signal ? { signal } : {}),
    });
    try {
      const manifest = saveDiffusionCheckpoint(o.out, unlearned, schedule, {
        kind: 'unlearned',
        source: { dir: o.model, sha256: sourceSha },
        dataset: o.data ?? 'fashion-mnist',
        unlearning: result,
        ...(loaded !== null ? { maskFile: { path: o.maskFile!, sha256: loaded.sha256, format: loaded.format, ...(maskWarnings.length > 0 ? { warnings: maskWarnings } : {}) } } : {}),
        ...(savedMask !== null ? { savedMask } : {}),
        ...(saFile !== null ? { saFile: { path: o.saFile!, sha256: saFile.sha256, seed: saFile.seed, ...(saWarnings.length > 0 ? { warnings: saWarnings } : {}) } } : {}),
      });
      return { manifest, result };
    } finally {
      unlearned.dispose();
    }
  } finally {
    loaded?.mask.dispose();
    if (saFile) disposeSaPrepared(saFile);
    model.dispose();
    disposeData(data);
  }
}

/** What a saved DDPM mask records of where it came from: the weights, the class and what orders the gradient pass. */
function diffusionMaskMetadata(sourceSha: string, o: { forgetClass: number; gradientSamples?: number | undefined; seed?: number | undefined }): Record<string, string> {
  return { model: sourceSha, forgetClass: String(o.forgetClass), method: 'salun', seed: String(o.seed ?? 0), gradientSamples: o.gradientSamples === undefined ? 'all' : String(o.gradientSamples) };
}

// ---- mask --------------------------------------------------------------------------------------------------

/** Options of diffusionMaskCommand (`lethe diffusion mask`). */
export interface DiffusionMaskCommandOptions {
  /** the trained diffusion checkpoint */
  model: string;
  /** which of its weights (as diffusionUnlearnCommand's; default 'auto') */
  weights?: 'auto' | 'ema' | 'model';
  /** the class to forget */
  forgetClass: number;
  /** one mask per ratio, from one gradient pass */
  ratios: readonly number[];
  /** where each ratio's mask goes (as many paths as ratios) */
  out: readonly string[];
  /** A dataset name or directory (loadImageDataset); default 'fashion-mnist'. */
  data?: string;
  /** forget images for the gradient (default: all of the class), as the unlearning run's */
  gradientSamples?: number;
  /** the unlearning run's seed (default 0): it draws the pass's timesteps and noise */
  seed?: number;
}

/**
 * SalUn's DDPM masks without an unlearning run (the reference's generate_mask.py): one gradient pass, one file per
 * ratio, each what `diffusion unlearn --method salun --save-mask` writes for that ratio, class, sample count and seed.
 */
export async function diffusionMaskCommand(
  o: DiffusionMaskCommandOptions,
  progress?: ProgressFn,
  signal?: AbortSignal,
): Promise<{ files: { ratio: number; salient: number; path: string; sha256: string }[]; total: number; seconds: number }> {
  if (o.out.length !== o.ratios.length) throw new Error(`diffusionMaskCommand: ${o.ratios.length} ratios but ${o.out.length} output paths`);
  const { model, schedule, sha256: sourceSha } = loadDiffusionCheckpoint(o.model, { weights: o.weights ?? 'auto' });
  let data: TrainTest | null = null;
  try {
    data = loadData(o.data);
    const start = performance.now();
    const masks = diffusionSaliencyMasks(model, schedule, data.train, o.forgetClass, o.ratios, {
      ...(o.gradientSamples !== undefined ? { gradientSamples: o.gradientSamples } : {}),
      seed: o.seed ?? 0,
      onProgress: (p) => progress?.({ phase: 'gradient', step: p.step, steps: p.steps }),
      ...(signal ? { signal } : {}),
    });
    try {
      const seconds = (performance.now() - start) / 1000;
      const metadata = diffusionMaskMetadata(sourceSha, o);
      const files = masks.map((m, i) => ({ ratio: o.ratios[i]!, salient: m.count(), path: o.out[i]!, sha256: saveMaskFile(o.out[i]!, m, metadata).sha256 }));
      return { files, total: model.numParameters(), seconds };
    } finally {
      for (const m of masks) m.dispose();
    }
  } finally {
    model.dispose();
    if (data !== null) disposeData(data);
  }
}

// ---- replay (SA's passes) ----------------------------------------------------------------------------------

/** Options of diffusionReplayCommand (`lethe diffusion replay`). */
export interface DiffusionReplayCommandOptions {
  /** the trained diffusion checkpoint */
  model: string;
  /** which of its weights (as diffusionUnlearnCommand's; default 'auto') */
  weights?: 'auto' | 'ema' | 'model';
  /** the SA file to write */
  out: string;
  /** the replay and Fisher settings over SA_DEFAULTS */
  settings?: Partial<SaPassSettings>;
  /** the unlearning run's seed (default 0): it seeds the sampling and the Fisher pass's noise */
  seed?: number;
}

/**
 * Selective Amnesia's replay set and Fisher information without an unlearning run (the reference's sample.py and
 * fim.py): one file that `diffusion unlearn --method sa --sa-file` reads instead of computing them, the same passes
 * a run with these settings and seed would make.
 */
export async function diffusionReplayCommand(
  o: DiffusionReplayCommandOptions,
  progress?: ProgressFn,
  signal?: AbortSignal,
): Promise<{ path: string; sha256: string; images: number; fisherImages: number; settings: SaPassSettings; seconds: number }> {
  const { model, schedule, sha256: sourceSha } = loadDiffusionCheckpoint(o.model, { weights: o.weights ?? 'auto' });
  try {
    const start = performance.now();
    const prepared = await prepareSelectiveAmnesia(model, schedule, o.settings ?? {}, {
      seed: o.seed ?? 0,
      onProgress: (p) => progress?.({ phase: p.phase, step: p.step, steps: p.steps }),
      ...(signal ? { signal } : {}),
    });
    try {
      const seconds = (performance.now() - start) / 1000;
      const entry = saveSaFile(o.out, prepared, { seed: o.seed ?? 0, model: sourceSha });
      const s = prepared.settings;
      return { path: o.out, sha256: entry.sha256, images: prepared.replay.size, fisherImages: s.fimPerClass * model.config.numClasses, settings: s, seconds };
    } finally {
      disposeSaPrepared(prepared);
    }
  } finally {
    model.dispose();
  }
}

// ---- sample ------------------------------------------------------------------------------------------------

/** Options of diffusionSampleCommand (`lethe diffusion sample`): the sampler's options (seed default 0) and these. */
export interface DiffusionSampleCommandOptions extends Omit<SampleOptions, 'onStep' | 'signal'> {
  /** The diffusion checkpoint to sample from. */
  model: string;
  /** output PNG: one row per class */
  out: string;
  /** samples per class (columns; default 8) */
  perClass?: number;
  /** classes to draw (rows; default all) */
  classes?: number[];
  /** Which weights to sample with: 'ema', 'model', or 'auto' (default: the EMA when present). */
  weights?: 'auto' | 'ema' | 'model';
}

/** Draws `perClass` samples of each class from a diffusion checkpoint into a PNG grid, one row per class. */
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

/** Options of diffusionClassifierCommand (`lethe diffusion classifier`). */
export interface DiffusionClassifierCommandOptions {
  /** Output directory of the classifier's checkpoint. */
  out: string;
  /** A dataset name or directory (loadImageDataset); default 'fashion-mnist'. */
  data?: string;
  /** Training epochs (default 4). */
  epochs?: number;
  /** Seeds the classifier's training (default 0). */
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

/** Options of diffusionEvalCommand (`lethe diffusion eval`): the sampler's options (seed default 0) and these. */
export interface DiffusionEvalCommandOptions extends Omit<SampleOptions, 'onStep' | 'signal' | 'batchSize'> {
  /** The diffusion checkpoint to evaluate. */
  model: string;
  /** the evaluation classifier's checkpoint (diffusionClassifierCommand) */
  classifier: string;
  /** The class the model was made to forget. */
  forgetClass: number;
  /** A dataset name or directory whose test set gives the real images; default 'fashion-mnist'. */
  data?: string;
  /** Samples generated for the forgotten class (default 200). */
  samplesForget?: number;
  /** Samples generated for each other class (default 50). */
  samplesPerClass?: number;
  /** Real test images per other class for the Fréchet distance (default: all). */
  realPerClass?: number;
  /** also write a sample grid to this PNG: one row per class, the first 8 evaluation samples of each class */
  grid?: string;
  /** Which weights to evaluate: 'ema', 'model', or 'auto' (default: the EMA when present). */
  weights?: 'auto' | 'ema' | 'model';
}

/**
 * Evaluates a diffusion checkpoint after forgetting `forgetClass` (UA, accuracy on the other classes,
 * classifier-feature Fréchet distance) with the evaluation classifier at `classifier`; throws if there is none.
 */
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
