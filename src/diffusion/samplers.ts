// Samplers: DDPM ancestral sampling and DDIM (η, step count), both with classifier-free guidance.
//
// One step of each is a pure function of (x_t, ε̂, z) so it can be checked against a hand computation; the
// loops around them batch the requested labels, run the model under noGrad in eval mode, and yield to the
// event loop between steps so a caller's AbortSignal can stop a long run.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { manualSeed, noGrad, randnLike, randn, tensor, tidy, keep, cat, type Tensor } from '../torch/index.js';
import { guidedPrediction, type NoisePredictor } from './loss.js';
import type { NoiseSchedule } from './schedule.js';
import { timestepTensor } from './schedule.js';
import { oneOf, refuseUnknownKeys } from '../util/options.js';

/** Variance of the DDPM reverse step: the posterior β̃_t (default; DDIM with η = 1 uses the same) or β_t. */
export type DdpmVariance = 'posterior' | 'beta';

/**
 * One DDPM ancestral step from t to t−1 (Ho et al., Algorithm 2):
 *   x_{t−1} = (x_t − β_t/√(1−ᾱ_t) · ε̂) / √α_t + σ_t · z,   σ_t² = β̃_t = β_t (1−ᾱ_{t−1})/(1−ᾱ_t)  (or β_t);
 * no noise is added at t = 0.
 */
export function ddpmStep(schedule: NoiseSchedule, xt: Tensor, t: number, eps: Tensor, z: Tensor | null, variance: DdpmVariance = 'posterior'): Tensor {
  schedule.checkT(t);
  const beta = schedule.betas[t]!;
  const ab = schedule.alphaBars[t]!;
  const mean = (): Tensor => xt.sub(eps.mul(beta / Math.sqrt(1 - ab))).div(Math.sqrt(schedule.alphas[t]!));
  if (t === 0) return tidy(mean);
  if (z === null) throw new Error('ddpmStep: noise z is required for t > 0');
  const abPrev = schedule.alphaBars[t - 1]!;
  const var_ = variance === 'beta' ? beta : (beta * (1 - abPrev)) / (1 - ab);
  return tidy(() => mean().add(z.mul(Math.sqrt(var_))));
}

/** Options of ddimStep. */
export interface DdimStepOptions {
  /** η: 0 = deterministic DDIM, 1 = the DDPM posterior variance */
  eta: number;
  /** clamp the predicted x_0 to [−1, 1] before stepping */
  clipX0?: boolean;
}

/**
 * One generalized DDIM step from t to tPrev (tPrev = −1 ends at x_0, with ᾱ_{−1} = 1):
 *   x̂_0 = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t;   σ = η √((1−ᾱ_prev)/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_prev);
 *   x_prev = √ᾱ_prev · x̂_0 + √(1 − ᾱ_prev − σ²) · ε̂ + σ · z.
 */
export function ddimStep(schedule: NoiseSchedule, xt: Tensor, t: number, tPrev: number, eps: Tensor, z: Tensor | null, o: DdimStepOptions): Tensor {
  const ab = schedule.alphaBar(t);
  const abPrev = schedule.alphaBar(tPrev);
  if (!(tPrev < t)) throw new RangeError(`ddimStep: tPrev (${tPrev}) must be smaller than t (${t})`);
  if (!(o.eta >= 0)) throw new RangeError(`ddimStep: eta must be ≥ 0, got ${o.eta}`);
  const sigma = o.eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
  if (sigma > 0 && z === null) throw new Error('ddimStep: noise z is required when eta > 0');
  return tidy(() => {
    let x0 = xt.sub(eps.mul(Math.sqrt(1 - ab))).div(Math.sqrt(ab));
    if (o.clipX0) x0 = x0.clamp(-1, 1);
    let out = x0.mul(Math.sqrt(abPrev)).add(eps.mul(Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma))));
    if (sigma > 0) out = out.add(z!.mul(sigma));
    return out;
  });
}

/**
 * One guided DDIM step of a sampling loop over `seq`: ε̂ = (1 + w)·ε(x, c) − w·ε(x, ∅) at seq[i], then x moves from
 * seq[i] to seq[i − 1] (to x_0 after seq[0]). z: the step's noise when η > 0.
 */
export function guidedDdimStep(model: NoisePredictor, schedule: NoiseSchedule, x: Tensor, y: Tensor, seq: readonly number[], i: number, guidance: number, o: DdimStepOptions, z: Tensor | null): Tensor {
  const t = seq[i]!;
  return tidy(() => {
    const eps = guidedPrediction(model, x, timestepTensor(new Array<number>(x.shape[0]!).fill(t)), y, guidance);
    return ddimStep(schedule, x, t, i > 0 ? seq[i - 1]! : -1, eps, z, o);
  });
}

/**
 * The DDIM timestep sequence with `steps` uniformly skipped steps: 0, k, 2k, … < T (k = ⌊T/steps⌋), as the
 * reference's range(0, T, skip). When steps does not divide T this is more than `steps` timesteps (T = 1000,
 * steps = 3: 0, 333, 666, 999), exactly as the reference samples.
 */
export function ddimTimesteps(timesteps: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > timesteps) throw new RangeError(`DDIM: steps must be an integer in [1, ${timesteps}], got ${steps}`);
  const skip = Math.floor(timesteps / steps);
  const seq: number[] = [];
  for (let t = 0; t < timesteps; t += skip) seq.push(t);
  return seq;
}

/** Options of sampleImages; an unknown key is an error. */
export interface SampleOptions {
  /** 'ddim' (default) or 'ddpm' (ancestral, all T steps) */
  sampler?: 'ddim' | 'ddpm';
  /** DDIM steps (default 100, or every timestep of a schedule shorter than that) */
  steps?: number;
  /** DDIM η (default 1: stochastic, the reference's "generalized" steps with eta 1) */
  eta?: number;
  /** guidance weight w in (1+w)·ε(x,c) − w·ε(x,∅) (default 2, the reference's cond_scale) */
  guidance?: number;
  /** clamp x̂_0 to [−1, 1] in DDIM steps (default true, which helps at few steps; the reference's generalized steps do not clamp) */
  clipX0?: boolean;
  /** DDPM reverse variance (default 'posterior') */
  variance?: DdpmVariance;
  /** images generated per forward pass (default 100) */
  batchSize?: number;
  /** seeds libtorch's generator before sampling (default: leave it as it is) */
  seed?: number;
  /** called after each denoising step of each batch */
  onStep?: (p: { batch: number; batches: number; step: number; steps: number }) => void;
  /** Aborts between denoising steps (sampleImages then rejects with its reason). */
  signal?: AbortSignal;
}

const SAMPLE_KEYS = ['sampler', 'steps', 'eta', 'guidance', 'clipX0', 'variance', 'batchSize', 'seed', 'onStep', 'signal'] as const satisfies readonly (keyof SampleOptions)[];

/**
 * Generates one image per label (labels in [0, numClasses)); returns float32 [N, C, S, S] clamped to [−1, 1].
 * The model is put in eval mode and restored afterwards.
 */
export async function sampleImages(
  model: NoisePredictor & { config: { inChannels: number; imageSize: number }; training: boolean; train(mode?: boolean): unknown },
  schedule: NoiseSchedule,
  labels: ArrayLike<number>,
  o: SampleOptions = {},
): Promise<Tensor> {
  refuseUnknownKeys('sampleImages', o, SAMPLE_KEYS);
  const sampler = oneOf('sampleImages', 'sampler', o.sampler ?? 'ddim', ['ddim', 'ddpm'] as const);
  const variance = oneOf('sampleImages', 'variance', o.variance ?? 'posterior', ['posterior', 'beta'] as const);
  const guidance = o.guidance ?? 2;
  if (!Number.isFinite(guidance)) throw new RangeError(`sampleImages: guidance must be a finite weight, got ${guidance}`);
  const eta = o.eta ?? 1;
  if (!(eta >= 0 && Number.isFinite(eta))) throw new RangeError(`sampleImages: eta must be a finite number ≥ 0, got ${eta}`);
  const batchSize = o.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`sampleImages: batchSize must be a positive integer, got ${batchSize}`);
  if (labels.length === 0) throw new RangeError('sampleImages: no labels given');
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= model.nullClass) throw new RangeError(`sampleImages: label ${y} at position ${i} is not a class in [0, ${model.nullClass})`);
  }
  const seq = sampler === 'ddim' ? ddimTimesteps(schedule.timesteps, o.steps ?? defaultDdimSteps(schedule.timesteps)) : Array.from({ length: schedule.timesteps }, (_, i) => i);
  if (o.seed !== undefined) manualSeed(o.seed);
  const { inChannels: c, imageSize: s } = model.config;
  const wasTraining = model.training;
  model.train(false);
  const chunks: Tensor[] = [];
  const batches = Math.ceil(labels.length / batchSize);
  try {
    for (let b = 0; b < batches; b++) {
      const ys = Array.from({ length: Math.min(batchSize, labels.length - b * batchSize) }, (_, i) => labels[b * batchSize + i]!);
      let x = keep(randn([ys.length, c, s, s]));
      const y = tensor(BigInt64Array.from(ys, (v) => BigInt(v)));
      try {
        for (let i = seq.length - 1; i >= 0; i--) {
          const t = seq[i]!;
          const next = keep(
            tidy(() =>
              noGrad(() => {
                if (sampler === 'ddim') return guidedDdimStep(model, schedule, x, y, seq, i, guidance, { eta, clipX0: o.clipX0 ?? true }, eta > 0 ? randnLike(x) : null);
                const eps = guidedPrediction(model, x, timestepTensor(new Array<number>(ys.length).fill(t)), y, guidance);
                return ddpmStep(schedule, x, t, eps, t > 0 ? randnLike(x) : null, variance);
              }),
            ),
          );
          x.dispose();
          x = next;
          o.onStep?.({ batch: b + 1, batches, step: seq.length - i, steps: seq.length });
          await yieldToLoop();
          o.signal?.throwIfAborted();
        }
        chunks.push(keep(tidy(() => x.clamp(-1, 1))));
      } finally {
        x.dispose();
        y.dispose();
      }
    }
    const out = chunks.length === 1 ? chunks[0]! : keep(cat(chunks));
    if (chunks.length > 1) for (const t of chunks) t.dispose();
    chunks.length = 0;
    return out;
  } finally {
    for (const t of chunks) t.dispose();
    model.train(wasTraining);
  }
}

/** DDIM's default number of steps: 100, or every timestep of a schedule shorter than that. */
export function defaultDdimSteps(timesteps: number): number {
  return Math.min(100, timesteps);
}
