// Unlearning one class of a class-conditional DDPM, by composing Lethe's unlearning blocks with diffusion losses:
//
//   salun  SalUn (research/salun.md §6): saliency mask from the guided diffusion loss on the forget class (each
//          batch's gradient clipped to norm 1 before it is summed, model in eval mode, w = 2), global top 50%;
//          then loss = MSE(ε_θ(x_t, c_f), stopgrad ε_θ(x_t, (c_f + 1) mod C)) + α · diffusion loss on D_r, Adam,
//          gradient clip 1, only the salient weights move.
//   semu   SEMU (research/semu.md §1.8): SVD subspace of the same gradient; only the r×r cores train, on the
//          same forgetting loss, without retain data unless useRetain (then + α · diffusion loss on D_r).
//   ft     fine-tuning: the diffusion loss on D_r only.
//   ga     gradient ascent: minus the diffusion loss on D_f.
//   esd    ESD (esd.ts): regress ε_θ(x_t, c_f) on the frozen original's prediction guided away from c_f, x_t sampled
//          from the model for c_f; needs neither D_f's images (by default) nor D_r.
//   sa     Selective Amnesia (sa.ts): learn "c_f is uniform noise" with generative replay of the other classes and an
//          EWC penalty from the Fisher information on sampled images; reads no training data at all.
//
// The saliency mask (blocks/saliency.ts), SVD subspace (blocks/subspace.ts), gradient accumulation
// (blocks/gradients.ts) and the masked/subspace optimizer step (unlearn/trainer.ts) are the classification
// ones; only the losses are diffusion-specific. The input model is never modified: a clone is trained.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Batch } from '../data/loader.js';
import { DataLoader } from '../data/loader.js';
import type { TensorDataset } from '../data/dataset.js';
import { deriveSeed } from '../data/random.js';
import { manualSeed, tidy, type Tensor } from '../torch/index.js';
import { accumulateGradients, disposeGradients, type Gradients } from '../unlearn/blocks/gradients.js';
import { checkMaskRatios, maskFromGradients, masksFromGradients, type SaliencyMask } from '../unlearn/blocks/saliency.js';
import { refuseUnknownKeys } from '../util/options.js';
import { FLOAT32_MAX } from '../torch/dtype.js';
import { SvdSubspace, checkFullRank, subspaceRecord, subspaceSettings, type SubspaceOptions, type SubspaceRecord } from '../unlearn/blocks/subspace.js';
import { DDPM_SUBSPACE, SUBSPACE_DEFAULTS } from '../unlearn/blocks/settings.js';
import { UnlearnTrainer } from '../unlearn/trainer.js';
import { cycleBatches, indicesOfClasses, toModelRange } from './data.js';
import { diffusionLoss, forgetLoss } from './loss.js';
import { ESD_DEFAULTS, esdLoss, esdNoisyImages, esdSettings, esdTimestep, type EsdSettings } from './esd.js';
import { fisherDiagonal, saLoss, sampleReplay, saSettings, type SaSettings } from './sa.js';
import { disposeSaPrepared, saPreparedMismatch, type SaPassSettings, type SaPrepared } from './sa-file.js';
import { ddimTimesteps } from './samplers.js';
import { Rng } from '../data/random.js';
import { tensor } from '../torch/index.js';
import { timestepTensor } from './schedule.js';
import type { NoiseSchedule } from './schedule.js';
import type { UNet } from './unet.js';
import { range } from '../util/range.js';

export { DDPM_SUBSPACE };

/** The diffusion unlearning methods: SalUn, SEMU, fine-tuning on D_r, gradient ascent on D_f, ESD, Selective Amnesia. */
export type DiffusionUnlearnMethod = 'salun' | 'semu' | 'ft' | 'ga' | 'esd' | 'sa';
/** Every DiffusionUnlearnMethod, in help order. */
export const DIFFUSION_UNLEARN_METHODS: readonly DiffusionUnlearnMethod[] = ['salun', 'semu', 'ft', 'ga', 'esd', 'sa'];

/**
 * The reference's settings per method: SalUn's DDPM config (cifar10_saliency_unlearn.yml) for salun, ft and ga, whose
 * `--method ga` keeps the loop's α · retain loss (loss = −L(D_f) + α·L(D_r)); SEMU's DDPM config for semu; ESD's
 * train-esd.py for esd (one image per iteration, no gradient clipping: gradClip null); SA's cifar10_forget.yml for sa.
 */
export const DIFFUSION_UNLEARN_DEFAULTS: Record<DiffusionUnlearnMethod, { iterations: number; batchSize: number; lr: number; useRetain: boolean; gradClip: number | null }> = {
  salun: { iterations: 1000, batchSize: 128, lr: 1e-4, useRetain: true, gradClip: 1 },
  semu: { iterations: 1000, batchSize: 64, lr: 1e-3, useRetain: false, gradClip: 1 },
  ft: { iterations: 1000, batchSize: 128, lr: 1e-4, useRetain: true, gradClip: 1 },
  ga: { iterations: 1000, batchSize: 128, lr: 1e-4, useRetain: true, gradClip: 1 },
  esd: { iterations: 1000, batchSize: 1, lr: 1e-5, useRetain: false, gradClip: null },
  sa: { iterations: 20000, batchSize: 128, lr: 1e-4, useRetain: false, gradClip: 1 },
};

/**
 * Options of unlearnDiffusion; an unknown key, a flag the method ignores or an out-of-range number is an error
 * (checkDiffusionUnlearnOptions).
 */
export interface DiffusionUnlearnOptions {
  /** Which method. */
  method: DiffusionUnlearnMethod;
  /** The class to forget, in [0, numClasses). */
  forgetClass: number;
  /** Unlearning steps (default per method: DIFFUSION_UNLEARN_DEFAULTS). */
  iterations?: number;
  /** Default per method (DIFFUSION_UNLEARN_DEFAULTS). */
  batchSize?: number;
  /** Adam learning rate (default per method: DIFFUSION_UNLEARN_DEFAULTS). */
  lr?: number;
  /** weight of the retain diffusion loss in salun/semu/ga (default 1e-3; reference issue #19: α = 0 forgets every class) */
  alpha?: number;
  /** salun, ga: add α · retain loss (default true, as the reference's loop); semu: the semu_unlearn_retrain variant (default false) */
  useRetain?: boolean;
  /** gradient-norm clip before the (masked) step (default 1; esd: none, as its reference) */
  gradClip?: number;
  /** conditioning dropout during unlearning (default 0.1: the reference keeps train-mode cond-drop on) */
  condDrop?: number;
  /** drop each pass's last partial batch of the forget and retain streams (default true; the reference keeps it: false) */
  dropLast?: boolean;
  /** salun: fraction of weights kept by the mask (default 0.5) */
  maskRatio?: number;
  /** a precomputed saliency mask (salun; skips the gradient pass), e.g. from loadMaskFile; the caller keeps it */
  mask?: SaliencyMask;
  /** salun: called once with the mask the run computed, before unlearning (e.g. to save it: saveMaskFile); lent, freed by the run */
  onMaskBuilt?: (mask: SaliencyMask) => void;
  /** guidance weight w of the loss whose gradient builds the mask / subspace (default 2) */
  gradientGuidance?: number;
  /** forget images used for the mask / subspace gradient (default: all of the class) */
  gradientSamples?: number;
  /** semu: subspace options over DDPM_SUBSPACE (γ default 0.95, projection 'orthogonal', per-channel ranks, attention at full rank) */
  subspace?: SubspaceOptions;
  /** esd: its settings over ESD_DEFAULTS (η 1, x_t sampled from the model being unlearned, w 2, 50 DDIM steps) */
  esd?: Partial<EsdSettings>;
  /** sa: its settings over SA_DEFAULTS (λ 10, γ 1, 500 replay images per class sampled at w 2 over 1000 steps, η 1) */
  sa?: Partial<SaSettings>;
  /** sa: the replay set and Fisher information computed before (prepareSelectiveAmnesia, loadSaFile); the caller keeps them, the run skips both passes */
  saPrepared?: SaPrepared;
  /** Seeds batches, timesteps and noise (default 0). */
  seed?: number;
  /** Called after each gradient batch and each unlearning step. */
  onProgress?: (p: { phase: 'gradient' | 'sample' | 'fim' | 'unlearn'; step: number; steps: number; loss?: number }) => void;
  /** Aborts between steps; the input model is untouched. */
  signal?: AbortSignal;
}

/**
 * The summary unlearnDiffusion returns beside the unlearned model: the settings used, what was trained, and the loss.
 */
export interface DiffusionUnlearnResult {
  /** The method run. */
  method: DiffusionUnlearnMethod;
  /** The forgotten class. */
  forgetClass: number;
  /** Unlearning steps taken. */
  iterations: number;
  /** Images per step. */
  batchSize: number;
  /** The Adam learning rate. */
  lr: number;
  /** Weight of the remaining-class loss (salun, semu and ga with useRetain); absent when the run has no such term. */
  alpha?: number;
  /** Whether retain data was used. */
  useRetain: boolean;
  /** Whether each pass's last partial batch was dropped. */
  dropLast: boolean;
  /** trainable degrees of freedom (mask entries, subspace core entries, or all parameters) */
  trainable: number;
  /** The UNet's parameter count. */
  totalParameters: number;
  /** per-layer ranks of the SEMU subspace */
  ranks?: Record<string, number>;
  /** the SEMU subspace's settings (DDPM_SUBSPACE with the run's own over it) */
  subspace?: SubspaceRecord;
  /** ESD's settings */
  esd?: EsdSettings;
  /** SA's settings */
  sa?: SaSettings;
  /** The gradient-norm clip used (null: none). */
  gradClip: number | null;
  /** mean loss per block of 50 iterations */
  lossHistory: number[];
  /** Wall time of the run. */
  seconds: number;
}

/**
 * Σ over forget batches of ∇θ of the guided diffusion loss, each batch's gradient clipped to norm `clipNorm`
 * before it is added (the reference's generate_mask and generate_svd). Model in eval mode, no conditioning dropout.
 */
export function diffusionGradients(
  model: UNet,
  schedule: NoiseSchedule,
  data: TensorDataset,
  indices: Int32Array,
  o: { guidance?: number; batchSize?: number; clipNorm?: number; seed?: number; onBatch?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Gradients {
  const loader = new DataLoader(data, { batchSize: o.batchSize ?? 128, indices });
  const total = loader.length;
  const seed = o.seed ?? 0;
  let done = 0;
  const wasTraining = model.training;
  model.eval();
  try {
    return accumulateGradients(
      model,
      loader.batches(0),
      (b: Batch) => {
        manualSeed(Number(deriveSeed(seed, 'diffusion-gradient', done) & 0xffffffffn));
        const l = diffusionLoss(model, schedule, toModelRange(b.x, model.config.imageSize), b.y, { condDrop: 0, guidance: o.guidance ?? 2 });
        o.onBatch?.(++done, total);
        return l;
      },
      { clipNorm: o.clipNorm ?? 1, ...(o.signal ? { signal: o.signal } : {}) },
    );
  } finally {
    model.train(wasTraining);
  }
}

/**
 * The forget class's images in `train`, checked first by every entry point: a class of the model, data with the
 * model's classes, and at least one image of it.
 */
function forgetClassIndices(model: UNet, train: TensorDataset, forgetClass: number): Int32Array {
  const C = model.config.numClasses;
  if (!Number.isInteger(forgetClass) || forgetClass < 0 || forgetClass >= C) throw new RangeError(`forgetClass must be a class in [0, ${C}), got ${forgetClass}`);
  if (train.numClasses !== C) throw new Error(`the data has ${train.numClasses} classes but the UNet was built for ${C}`);
  const idx = indicesOfClasses(train, [forgetClass]);
  if (idx.length === 0) throw new Error(`the training data has no image of class ${forgetClass}`);
  return idx;
}

/** What the mask/subspace gradient pass of a run reads from its options. */
type GradientPassOptions = Pick<DiffusionUnlearnOptions, 'gradientSamples' | 'gradientGuidance' | 'seed' | 'onProgress' | 'signal'>;

/** The gradient pass's own settings: a positive whole number of images, a finite guidance weight. */
function checkGradientPass(o: GradientPassOptions): void {
  if (o.gradientSamples !== undefined && !(Number.isInteger(o.gradientSamples) && o.gradientSamples >= 1)) throw new RangeError(`gradientSamples must be a positive integer, got ${o.gradientSamples}`);
  if (o.gradientGuidance !== undefined && !Number.isFinite(o.gradientGuidance)) throw new RangeError(`gradientGuidance must be a finite weight, got ${o.gradientGuidance}`);
}

/** A run's mask/subspace gradient: the guided loss over the first gradientSamples images of the class (all by default). */
function forgetClassGradients(model: UNet, schedule: NoiseSchedule, train: TensorDataset, forgetIdx: Int32Array, o: GradientPassOptions): Gradients {
  const n = Math.min(o.gradientSamples ?? forgetIdx.length, forgetIdx.length);
  return diffusionGradients(model, schedule, train, forgetIdx.subarray(0, n), {
    guidance: o.gradientGuidance ?? 2,
    seed: o.seed ?? 0,
    onBatch: (done, total) => o.onProgress?.({ phase: 'gradient', step: done, steps: total }),
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

/**
 * SalUn's DDPM masks for several ratios from one gradient pass, as the reference's generate_mask.py: each equals the
 * mask unlearnDiffusion builds with that maskRatio for the same forgetClass, gradientSamples, gradientGuidance and
 * seed. The caller owns the masks. Throws on a class outside the model's, a class without images, or bad ratios.
 */
export function diffusionSaliencyMasks(
  model: UNet,
  schedule: NoiseSchedule,
  train: TensorDataset,
  forgetClass: number,
  ratios: readonly number[],
  o: GradientPassOptions = {},
): SaliencyMask[] {
  model.checkLive('diffusionSaliencyMasks');
  const forgetIdx = forgetClassIndices(model, train, forgetClass);
  checkMaskRatios(ratios, 'diffusionSaliencyMasks');
  checkGradientPass(o);
  const grads = forgetClassGradients(model, schedule, train, forgetIdx, o);
  try {
    return masksFromGradients(grads, ratios);
  } finally {
    disposeGradients(grads);
  }
}

/** The methods whose remaining-class loss is optional (useRetain) and weighted by α. */
function retainIsOptional(method: DiffusionUnlearnMethod): boolean {
  return method === 'salun' || method === 'semu' || method === 'ga';
}

/** Whether a run adds α · (diffusion loss on the remaining classes) to its forgetting loss. */
function weighsRetainLoss(method: DiffusionUnlearnMethod, useRetain: boolean): boolean {
  return retainIsOptional(method) && useRetain;
}

/**
 * An option the method would ignore, as an error message (null when every given option applies). A silently ignored
 * option is a run the user did not ask for: `--mask-ratio` with semu, or α with GA, which never sees retain data.
 */
export function inapplicableOption(
  method: DiffusionUnlearnMethod,
  // (only whether the mask and the hook are given matters: a command line passes its file names)
  o: Omit<DiffusionUnlearnOptions, 'method' | 'mask' | 'onMaskBuilt'> & { mask?: unknown; onMaskBuilt?: unknown },
): {
  option: 'mask' | 'onMaskBuilt' | 'maskRatio' | 'subspace' | 'useRetain' | 'alpha' | 'gradientSamples' | 'gradientGuidance' | 'condDrop' | 'dropLast' | 'esd' | 'sa' | 'saPrepared';
  problem: string;
} | null {
  const retainOptional = retainIsOptional(method);
  const retainLoss = weighsRetainLoss(method, o.useRetain ?? DIFFUSION_UNLEARN_DEFAULTS[method].useRetain);
  const gradientPass = method === 'semu' || (method === 'salun' && o.mask === undefined);
  const esd = method === 'esd';
  const sampledXt = esd && (o.esd?.xtSource ?? ESD_DEFAULTS.xtSource) !== 'data';
  const rules: [NonNullable<ReturnType<typeof inapplicableOption>>['option'], boolean, string][] = [
    ['mask', o.mask !== undefined, method === 'salun' ? '' : 'applies to salun only'],
    ['onMaskBuilt', o.onMaskBuilt !== undefined, method === 'salun' ? (o.mask === undefined ? '' : 'is never called with a precomputed mask') : 'applies to salun only'],
    ['maskRatio', o.maskRatio !== undefined, method === 'salun' ? (o.mask === undefined ? '' : 'has no effect with a precomputed mask') : 'applies to salun only'],
    ['subspace', o.subspace !== undefined, method === 'semu' ? '' : 'applies to semu only'],
    ['useRetain', o.useRetain !== undefined, retainOptional ? '' : 'applies to salun, semu and ga only (ft always trains on the remaining classes)'],
    ['alpha', o.alpha !== undefined, retainLoss ? '' : `weighs the remaining-class loss, which ${method} ${method === 'semu' ? 'adds only with useRetain' : retainOptional ? 'does not add with useRetain false' : 'does not have'}`],
    ['gradientSamples', o.gradientSamples !== undefined, gradientPass ? '' : `sizes the mask/subspace gradient pass, which ${method} does not make`],
    ['gradientGuidance', o.gradientGuidance !== undefined, gradientPass ? '' : `weighs the mask/subspace gradient pass, which ${method} does not make`],
    ['condDrop', o.condDrop !== undefined, esd || method === 'sa' ? `drops conditioning in the losses, which ${method} does not (as its reference)` : ''],
    ['dropLast', o.dropLast !== undefined, sampledXt ? 'shapes the batches of real images, which esd reads only with xtSource data' : ''],
    ['esd', o.esd !== undefined, esd ? '' : 'applies to esd only'],
    ['sa', o.sa !== undefined, method === 'sa' ? '' : 'applies to sa only'],
    ['saPrepared', o.saPrepared !== undefined, method === 'sa' ? '' : 'applies to sa only'],
  ];
  for (const [option, given, problem] of rules) if (given && problem !== '') return { option, problem: `${problem}; leave it out for ${method}` };
  return null;
}

/**
 * The settings a run can check without its model or data, before any gradient pass: a flag the method would ignore,
 * and every number's range (the command line turns the error into a usage error).
 */
export function checkDiffusionUnlearnOptions(o: DiffusionUnlearnOptions): void {
  const inapplicable = inapplicableOption(o.method, o);
  if (inapplicable) throw new Error(`${inapplicable.option} ${inapplicable.problem}`);
  const defaults = DIFFUSION_UNLEARN_DEFAULTS[o.method];
  const iterations = o.iterations ?? defaults.iterations;
  const lr = o.lr ?? defaults.lr;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a positive integer, got ${iterations}`);
  if (!(lr > 0 && lr <= FLOAT32_MAX)) throw new RangeError(`lr must be positive and within float32's range, got ${lr}`);
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize >= 1)) throw new RangeError(`batchSize must be a positive integer, got ${o.batchSize}`);
  checkGradientPass(o);
  if (o.gradClip !== undefined && !(o.gradClip > 0)) throw new RangeError(`gradClip must be positive, got ${o.gradClip}`);
  if (o.condDrop !== undefined && !(o.condDrop >= 0 && o.condDrop < 1)) throw new RangeError(`condDrop must be in [0, 1), got ${o.condDrop}`);
  if (o.alpha !== undefined && !(o.alpha >= 0 && Number.isFinite(o.alpha))) throw new RangeError(`alpha must be a finite weight ≥ 0, got ${o.alpha}`);
  if (o.maskRatio !== undefined && !(o.maskRatio > 0 && o.maskRatio <= 1)) throw new RangeError(`maskRatio must be in (0, 1], got ${o.maskRatio}`);
  o.mask?.checkUsable('mask');
  if (o.subspace) {
    refuseUnknownKeys('subspace', o.subspace, Object.keys(SUBSPACE_DEFAULTS));
    subspaceSettings(o.subspace);
  }
  if (o.esd) esdSettings(o.esd);
  if (o.sa) saSettings(o.sa);
  if (o.sa && o.saPrepared) {
    const fixed = Object.keys(o.sa).find((k) => k !== 'ewcWeight' && k !== 'replayWeight' && o.sa![k as keyof SaSettings] !== undefined);
    if (fixed !== undefined) throw new Error(`sa.${fixed} is fixed by the precomputed replay set and Fisher information (saPrepared); leave it out`);
  }
}


const DIFFUSION_UNLEARN_KEYS = [
  'method', 'forgetClass', 'iterations', 'batchSize', 'lr', 'alpha', 'useRetain', 'gradClip', 'condDrop', 'dropLast', 'maskRatio', 'mask', 'onMaskBuilt',
  'gradientGuidance', 'gradientSamples', 'subspace', 'esd', 'sa', 'saPrepared', 'seed', 'onProgress', 'signal',
] as const satisfies readonly (keyof DiffusionUnlearnOptions)[];

/**
 * SA's two passes over the original model before training: the replay images of every class, and the diagonal Fisher
 * information on the first fimPerClass of each class; what a run with the same settings and seed computes (so it can
 * be saved once, saveSaFile, and given to many runs as saPrepared). The caller owns the result.
 */
export async function prepareSelectiveAmnesia(
  model: UNet,
  schedule: NoiseSchedule,
  settings: Partial<SaPassSettings>,
  o: Pick<DiffusionUnlearnOptions, 'seed' | 'onProgress' | 'signal'> = {},
): Promise<SaPrepared> {
  model.checkLive('prepareSelectiveAmnesia');
  const { ewcWeight: _l, replayWeight: _g, ...sa } = saSettings(settings, schedule.timesteps);
  const seed = o.seed ?? 0;
  const replay = await sampleReplay(model, schedule, sa.replayPerClass, {
    steps: sa.replaySteps,
    eta: sa.replayEta,
    guidance: sa.replayGuidance,
    seed: Number(deriveSeed(seed, 'sa-replay') & 0xffffffffn),
    onStep: (p) => o.onProgress?.({ phase: 'sample', step: (p.batch - 1) * p.steps + p.step, steps: p.batches * p.steps }),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  try {
    const fimIdx = range(0, replay.size).filter((i) => i % sa.replayPerClass < sa.fimPerClass);
    const batch = new DataLoader(replay, { batchSize: fimIdx.length, indices: fimIdx }).batches(0).next().value!;
    try {
      manualSeed(Number(deriveSeed(seed, 'sa-fisher') & 0xffffffffn));
      const x = toModelRange(batch.x, model.config.imageSize);
      try {
        const fisher = await fisherDiagonal(model, schedule, x, batch.y, {
          chunk: sa.fimChunk,
          onImage: (done, total) => o.onProgress?.({ phase: 'fim', step: done, steps: total }),
          ...(o.signal ? { signal: o.signal } : {}),
        });
        return { replay, fisher, settings: sa };
      } finally {
        x.dispose();
      }
    } finally {
      batch.dispose();
    }
  } catch (e) {
    replay.dispose();
    throw e;
  }
}

/** Unlearns `forgetClass` from a clone of `model`; returns the clone and a summary. */
export async function unlearnDiffusion(
  model: UNet,
  schedule: NoiseSchedule,
  train: TensorDataset,
  o: DiffusionUnlearnOptions,
): Promise<{ model: UNet; result: DiffusionUnlearnResult }> {
  refuseUnknownKeys('unlearnDiffusion', o, DIFFUSION_UNLEARN_KEYS);
  model.checkLive('unlearnDiffusion');
  const method = o.method;
  const defaults = DIFFUSION_UNLEARN_DEFAULTS[method];
  if (defaults === undefined) throw new Error(`unknown diffusion unlearning method '${String(method)}'; known: ${DIFFUSION_UNLEARN_METHODS.join(', ')}`);
  const f = o.forgetClass;
  const forgetIdx = forgetClassIndices(model, train, f);
  checkDiffusionUnlearnOptions(o);
  // a SEMU run's subspace: the DDPM reference's settings with the run's own over them
  const subspaceOptions: SubspaceOptions | null = method === 'semu' ? { ...DDPM_SUBSPACE, ...o.subspace } : null;
  if (subspaceOptions) checkFullRank(model, subspaceOptions.fullRank);
  const iterations = o.iterations ?? defaults.iterations;
  const batchSize = o.batchSize ?? defaults.batchSize;
  const lr = o.lr ?? defaults.lr;
  const alpha = o.alpha ?? 1e-3;
  const useRetain = o.useRetain ?? defaults.useRetain;
  const clip = o.gradClip ?? defaults.gradClip;
  const esd = method === 'esd' ? esdSettings(o.esd ?? {}, schedule.timesteps) : null;
  const sa = method === 'sa' ? saSettings({ ...o.sa, ...o.saPrepared?.settings }, schedule.timesteps) : null;
  const mismatch = o.saPrepared ? saPreparedMismatch(model, o.saPrepared) : null;
  if (mismatch !== null) throw new Error(`saPrepared ${mismatch}`);
  const seed = o.seed ?? 0;
  const start = performance.now();
  const wasTraining = model.training;
  const retainIdx = indicesOfClasses(train, [f], true);
  const unlearned = model.clone();
  let mask: SaliencyMask | null = null;
  let subspace: SvdSubspace | null = null;
  let trainer: UnlearnTrainer | null = null;
  let ownPasses: SaPrepared | null = null;
  const streams: Generator<Batch, never>[] = [];
  try {
    if ((method === 'salun' && !o.mask) || method === 'semu') {
      const grads = forgetClassGradients(unlearned, schedule, train, forgetIdx, o);
      try {
        if (method === 'salun') {
          mask = maskFromGradients(grads, o.maskRatio ?? 0.5);
          o.onMaskBuilt?.(mask);
        } else if (subspaceOptions) subspace = SvdSubspace.fromGradients(unlearned, grads, subspaceOptions);
      } finally {
        disposeGradients(grads);
      }
    }
    if (sa && !o.saPrepared) ownPasses = await prepareSelectiveAmnesia(model, schedule, sa, o);
    const passes = o.saPrepared ?? ownPasses;
    const space = method === 'salun' ? { mask: o.mask ?? mask! } : method === 'semu' ? { subspace: subspace! } : {};
    // the gradient is clipped in the training space: all or masked weights, or SEMU's cores
    trainer = new UnlearnTrainer(unlearned, { optimizer: 'adam', lr, weightDecay: 0, ...(clip !== null ? { clipNorm: clip } : {}) }, space, `diffusion ${method}`);
    const needForget = method !== 'ft' && method !== 'sa' && (esd === null || esd.xtSource === 'data');
    const needRetain = method === 'ft' || useRetain;
    const dropLast = o.dropLast ?? true;
    const forget = needForget ? cycleBatches(train, { batchSize, seed, indices: forgetIdx, tag: 'unlearn-forget', dropLast }) : null;
    const retain = needRetain ? cycleBatches(train, { batchSize, seed, indices: retainIdx, tag: 'unlearn-retain', dropLast }) : null;
    if (forget) streams.push(forget);
    if (retain) streams.push(retain);
    // SA: the other classes' replay images stand in for D_r
    const replayStream = passes ? cycleBatches(passes.replay, { batchSize, seed, indices: indicesOfClasses(passes.replay, [f], true), tag: 'sa-replay', dropLast }) : null;
    if (replayStream) streams.push(replayStream);
    const size = unlearned.config.imageSize;
    const lossHistory: number[] = [];
    // ESD: the frozen original gives the target (the input model, read under noGrad in eval mode and never stepped)
    const esdSeq = esd ? ddimTimesteps(schedule.timesteps, esd.xtSteps) : [];
    const esdRng = new Rng(deriveSeed(seed, 'esd-timestep'));
    if (esd) model.train(false);
    let blockSum = 0;
    let blockN = 0;
    unlearned.train();
    for (let it = 0; it < iterations; it++) {
      manualSeed(Number(deriveSeed(seed, 'diffusion-unlearn', it) & 0xffffffffn));
      const fb = forget?.next().value ?? null;
      const rb = retain?.next().value ?? null;
      let value: number;
      try {
        value = tidy(() => {
          let loss: Tensor;
          if (sa) {
            const rp = replayStream!.next().value;
            try {
              loss = saLoss(unlearned, model, schedule, passes!.fisher, toModelRange(rp.x, size), rp.y, f, sa);
            } finally {
              rp.dispose();
            }
          } else if (esd) {
            const b = fb ? fb.x.shape[0]! : batchSize;
            const y = tensor(new BigInt64Array(b).fill(BigInt(f)));
            const step = esdTimestep(esdSeq, schedule.timesteps, esdRng);
            const from = fb ? { x0: toModelRange(fb.x, size) } : { sampler: esd.xtSource === 'original' ? model : unlearned };
            const xt = esdNoisyImages(schedule, esd, esdSeq, step, y, [b, unlearned.config.inChannels, size, size], from);
            loss = esdLoss(unlearned, model, xt, timestepTensor(new Array<number>(b).fill(step.t)), y, esd.negativeGuidance);
          } else if (method === 'ft') {
            loss = diffusionLoss(unlearned, schedule, toModelRange(rb!.x, size), rb!.y, { condDrop: o.condDrop ?? 0.1 });
          } else {
            // the reference's loop: loss = forget_loss + α · remain_loss, whatever the forget loss
            loss =
              method === 'ga'
                ? diffusionLoss(unlearned, schedule, toModelRange(fb!.x, size), fb!.y, { condDrop: o.condDrop ?? 0.1 }).neg()
                : forgetLoss(unlearned, schedule, toModelRange(fb!.x, size), fb!.y, { numClasses: model.config.numClasses, condDrop: o.condDrop ?? 0.1 });
            if (rb) loss = loss.add(diffusionLoss(unlearned, schedule, toModelRange(rb.x, size), rb.y, { condDrop: o.condDrop ?? 0.1 }).mul(alpha));
          }
          return trainer!.step(loss);
        });
      } finally {
        fb?.dispose();
        rb?.dispose();
      }
      blockSum += value;
      if (++blockN === 50) {
        lossHistory.push(blockSum / blockN);
        blockSum = 0;
        blockN = 0;
      }
      o.onProgress?.({ phase: 'unlearn', step: it + 1, steps: iterations, loss: value });
      await yieldToLoop();
      o.signal?.throwIfAborted();
    }
    if (blockN > 0) lossHistory.push(blockSum / blockN);
    const result: DiffusionUnlearnResult = {
      method,
      forgetClass: f,
      iterations,
      batchSize,
      lr,
      ...(weighsRetainLoss(method, useRetain) ? { alpha } : {}),
      useRetain: needRetain,
      dropLast,
      trainable: trainer.trainableCount(),
      totalParameters: unlearned.numParameters(),
      ...(subspace && subspaceOptions ? { ranks: subspace.ranks(), subspace: subspaceRecord(subspaceOptions) } : {}),
      ...(esd ? { esd } : {}),
      ...(sa ? { sa } : {}),
      gradClip: clip,
      lossHistory,
      seconds: (performance.now() - start) / 1000,
    };
    unlearned.eval();
    return { model: unlearned, result };
  } catch (e) {
    unlearned.dispose();
    throw e;
  } finally {
    for (const s of streams) s.return(undefined as never);
    model.train(wasTraining);
    trainer?.dispose();
    mask?.dispose();
    if (ownPasses) disposeSaPrepared(ownPasses);
    subspace?.dispose();
  }
}
