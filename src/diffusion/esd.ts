// ESD, Erasing Concepts from Diffusion Models (Gandikota et al., ICCV 2023), for a class-conditional DDPM: the
// generative baseline SalUn compares against. The model being unlearned is trained so that its prediction for the
// forgotten class c is the frozen original's prediction guided *away* from c:
//
//   loss = MSE( ε_θ(x_t, t, c),  ε*(x_t, t, ∅) − η · (ε*(x_t, t, c) − ε*(x_t, t, ∅)) )        (η: negative guidance)
//
// Reference: rohitgandikota/erasing, train-scripts/train-esd.py (the paper's code): Adam lr 1e-5, 1000 iterations of one
// image, η = 1, trains every parameter (train_method 'full'; its other choices select Stable Diffusion's
// cross-attention, which a class-embedding UNet has none of), no gradient clipping, no conditioning dropout. Each
// iteration draws k uniformly from the 50 DDIM steps, makes x_t by sampling the model being trained, from pure noise,
// conditioned on c with start guidance 3 (our w = 2), down to DDIM step k, and trains at a DDPM timestep drawn
// uniformly from that step's interval [k·T/50, (k+1)·T/50).
//
// Where we differ, and why:
// - x_t ends exactly at the timestep it is trained at (seq[k]); the reference's sampler stops one or two DDIM steps
//   below (its loop breaks after `index + 1 == till`), so its x_t is a little less noisy than its label. Not an option.
// - xtSource: 'unlearned' (default, the paper's code) | 'original' (ESD's 2024 diffusers script samples the frozen
//   model) | 'data' (an adaptation that needs no sampling: q(x_t | x_0) of real images of c, much cheaper).
// - Sampling for x_t runs in eval mode (no dropout) and does not clamp x̂_0 (the reference's DDIM does not).
import { mseLoss, noGrad, randn, tidy, type Tensor } from '../torch/index.js';
import type { Rng } from '../data/random.js';
import { guidedPrediction, type NoisePredictor } from './loss.js';
import { guidedDdimStep } from './samplers.js';
import { checkStepCount, type NoiseSchedule } from './schedule.js';
import { oneOf, refuseUnknownKeys } from '../util/options.js';

/** Where ESD's x_t comes from: sampling the model being unlearned, sampling the frozen original, or noised real images. */
export type EsdXtSource = 'unlearned' | 'original' | 'data';
/** Every EsdXtSource. */
export const ESD_XT_SOURCES: readonly EsdXtSource[] = ['unlearned', 'original', 'data'];

/** ESD's own settings. */
export interface EsdSettings {
  /** η in the target ε*(∅) − η·(ε*(c) − ε*(∅)) (default 1, the paper's negative_guidance) */
  negativeGuidance: number;
  /** where x_t comes from (default 'unlearned', the paper's code) */
  xtSource: EsdXtSource;
  /** guidance w of the sampling that makes x_t, in Lethe's (1 + w)·ε(c) − w·ε(∅) (default 2 = the reference's start_guidance 3) */
  xtGuidance: number;
  /** DDIM steps of that sampling; k is drawn among them (default 50, the reference's ddim_steps) */
  xtSteps: number;
}

/** The reference's settings (train-esd.py). */
export const ESD_DEFAULTS: EsdSettings = { negativeGuidance: 1, xtSource: 'unlearned', xtGuidance: 2, xtSteps: 50 };

/** ESD's settings over the defaults, each checked; given the schedule's T, xtSteps must not exceed it. */
export function esdSettings(o: Partial<EsdSettings>, timesteps?: number): EsdSettings {
  refuseUnknownKeys('esd', o, Object.keys(ESD_DEFAULTS));
  if (o.xtSource === 'data') {
    if (o.xtGuidance !== undefined) throw new Error('xtGuidance guides the sampling of x_t, which xtSource data does not do; leave it out');
    if (o.xtSteps !== undefined) throw new Error('xtSteps counts the sampling steps of x_t, which xtSource data does not take; leave it out');
  }
  const s: EsdSettings = { ...ESD_DEFAULTS, ...o, xtSource: oneOf('esd', 'xtSource', o.xtSource ?? ESD_DEFAULTS.xtSource, ESD_XT_SOURCES) };
  if (!Number.isFinite(s.negativeGuidance)) throw new RangeError(`negativeGuidance must be a finite number, got ${s.negativeGuidance}`);
  if (!Number.isFinite(s.xtGuidance)) throw new RangeError(`xtGuidance must be a finite weight, got ${s.xtGuidance}`);
  checkStepCount('xtSteps', s.xtSteps, timesteps);
  return s;
}

/** ESD's regression target from the frozen model, without a graph: ε*(x_t, ∅) − η·(ε*(x_t, c) − ε*(x_t, ∅)). */
export function esdTarget(frozen: NoisePredictor, xt: Tensor, t: Tensor, y: Tensor, negativeGuidance: number): Tensor {
  // = (1 + w)·ε*(c) − w·ε*(∅) at w = −(1 + η): classifier-free guidance pointed away from c
  return noGrad(() => guidedPrediction(frozen, xt, t, y, -(1 + negativeGuidance)));
}

/** ESD's loss: the mean squared error between ε_θ(x_t, t, c) and esdTarget (a mean over every element, as MSELoss). */
export function esdLoss(model: NoisePredictor, frozen: NoisePredictor, xt: Tensor, t: Tensor, y: Tensor, negativeGuidance: number): Tensor {
  return tidy(() => mseLoss(model.forward(xt, t, y), esdTarget(frozen, xt, t, y, negativeGuidance)));
}

/**
 * One iteration's timestep: k uniform over the DDIM sequence seq (ddimTimesteps(T, xtSteps)), and the DDPM timestep
 * t uniform in [seq[k], seq[k + 1]) (up to T for the last), as the reference's t_enc and t_enc_ddpm.
 */
export function esdTimestep(seq: readonly number[], timesteps: number, rng: Rng): { k: number; t: number } {
  const k = rng.uniformInt(seq.length);
  const lo = seq[k]!;
  const hi = k + 1 < seq.length ? seq[k + 1]! : timesteps;
  return { k, t: lo + rng.uniformInt(hi - lo) };
}

/**
 * x at seq[k] by deterministic DDIM (η = 0, no x̂_0 clamp) from x ~ N(0, I) at seq[last], guided towards labels y
 * with weight w; no graph, the model in eval mode for the pass (its mode is restored). k = last returns the noise.
 */
export function sampleDown(model: EsdSampler, schedule: NoiseSchedule, shape: number[], y: Tensor, seq: readonly number[], k: number, w: number): Tensor {
  if (!(Number.isInteger(k) && k >= 0 && k < seq.length)) throw new RangeError(`sampleDown: k must be an index of the sequence (0 … ${seq.length - 1}), got ${k}`);
  const wasTraining = model.training;
  model.train(false);
  try {
    return tidy(() =>
      noGrad(() => {
        let x = randn(shape);
        for (let i = seq.length - 1; i > k; i--) {
          const next = guidedDdimStep(model, schedule, x, y, seq, i, w, { eta: 0, clipX0: false }, null);
          x.dispose();
          x = next;
        }
        return x;
      }),
    );
  } finally {
    model.train(wasTraining);
  }
}

/** A model ESD can sample x_t from. */
export type EsdSampler = NoisePredictor & { training: boolean; train(mode?: boolean): unknown };

/**
 * ESD's x_t for one iteration, at step.t: sampled down to seq[step.k] by `sampler` (the 'unlearned' and 'original'
 * sources), or q(x_t | x0) of the real images x0 (the 'data' source).
 */
export function esdNoisyImages(
  schedule: NoiseSchedule,
  settings: EsdSettings,
  seq: readonly number[],
  step: { k: number; t: number },
  y: Tensor,
  shape: number[],
  from: { sampler: EsdSampler } | { x0: Tensor },
): Tensor {
  if ('x0' in from) return tidy(() => schedule.qSample(from.x0, new Array<number>(shape[0]!).fill(step.t), randn(shape)));
  return sampleDown(from.sampler, schedule, shape, y, seq, step.k, settings.xtGuidance);
}
