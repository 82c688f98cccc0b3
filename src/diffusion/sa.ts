// Selective Amnesia (Heng & Soh, NeurIPS 2023) for a class-conditional DDPM: the other generative baseline of SalUn's
// tables. Continual learning turned around: learn "class c_f looks like noise" while elastic weight consolidation
// (EWC) and generative replay keep every other class.
//
//   1. replay set: images of every class sampled from the original model          (sample.py --mode sample_classes)
//   2. F = diag Fisher information on them: per image, the gradient of its ELBO term Σ_{t<T} L_t (fresh noise at
//      every t), squared, averaged over the images                                               (fim.py)
//   3. loss = L(u, c_f) + γ·L(x_r, y_r) + λ·Σ_i F_i (θ_i − θ*_i)²,  u ~ U[−1, 1] images labelled c_f, (x_r, y_r) replay
//      images of the other classes, one antithetic draw of t shared by both, no conditioning dropout   (train_forget)
//
// Reference: clear-nus/selective-amnesia ddpm/ (configs cifar10_forget.yml, cifar10_sample.yml): 500 samples per class
// with guidance 2 (the generalized sampler over all 1000 timesteps, η 1), λ = 10, γ = 1, Adam lr 1e-4, gradient
// clip 1, batch 128, 20,000 steps. θ* is the original's weights.
//
// Where we differ, and why:
// - The reference writes its samples as PNG files with per-image min–max normalisation (torchvision's
//   save_image(normalize=True)) and reads them back; we keep them as uint8 images as sampled (clamped to [−1, 1],
//   quantised like a PNG, without the per-image stretch).
// - Its Fisher pass reads those PNGs without the [0, 1] → [−1, 1] transform the training applies (fim.py feeds
//   ToTensor() images to the loss); we use the images in the model's range, as it trains on them.
// - The sampler is Lethe's DDIM (the reference's generalized steps with η; x̂₀ clamped, as Lethe's evaluation samples).
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { autograd, keep, noGrad, rand, tensor, tidy, zerosLike, type Tensor } from '../torch/index.js';
import { TensorDataset } from '../data/dataset.js';
import type { Gradients } from '../unlearn/blocks/gradients.js';
import { diffusionLoss, type NoisePredictor } from './loss.js';
import { sampleImages, type SampleOptions } from './samplers.js';
import { checkStepCount, type NoiseSchedule } from './schedule.js';
import type { UNet } from './unet.js';
import { refuseUnknownKeys } from '../util/options.js';

/** SA's own settings. */
export interface SaSettings {
  /** λ, the weight of the EWC term (default 10) */
  ewcWeight: number;
  /** γ, the weight of the replay loss (default 1) */
  replayWeight: number;
  /** images sampled per class for replay and the Fisher information (default 500) */
  replayPerClass: number;
  /** of those, how many per class the Fisher information averages over (default: all of them) */
  fimPerClass: number;
  /** DDIM steps of the replay sampling (default 1000: every timestep, as the reference) */
  replaySteps: number;
  /** DDIM η of the replay sampling (default 1, the reference's) */
  replayEta: number;
  /** guidance w of the replay sampling (default 2, the reference's cond_scale) */
  replayGuidance: number;
  /** timesteps per forward pass in the Fisher pass (default 100; only speed and memory depend on it) */
  fimChunk: number;
}

/** The reference's settings (fimPerClass: replayPerClass unless given). */
export const SA_DEFAULTS: Omit<SaSettings, 'fimPerClass'> = { ewcWeight: 10, replayWeight: 1, replayPerClass: 500, replaySteps: 1000, replayEta: 1, replayGuidance: 2, fimChunk: 100 };

/** SA's settings over the defaults, each checked; given the schedule's T, replaySteps must not exceed it. */
export function saSettings(o: Partial<SaSettings>, timesteps?: number): SaSettings {
  refuseUnknownKeys('sa', o, [...Object.keys(SA_DEFAULTS), 'fimPerClass']);
  const s: SaSettings = { ...SA_DEFAULTS, fimPerClass: o.fimPerClass ?? o.replayPerClass ?? SA_DEFAULTS.replayPerClass, ...o };
  for (const key of ['ewcWeight', 'replayWeight', 'replayEta'] as const) {
    if (!(s[key] >= 0 && Number.isFinite(s[key]))) throw new RangeError(`${key} must be a finite number ≥ 0, got ${s[key]}`);
  }
  if (!Number.isFinite(s.replayGuidance)) throw new RangeError(`replayGuidance must be a finite weight, got ${s.replayGuidance}`);
  for (const key of ['replayPerClass', 'fimPerClass', 'fimChunk'] as const) {
    if (!(Number.isInteger(s[key]) && s[key] >= 1)) throw new RangeError(`${key} must be a positive integer, got ${s[key]}`);
  }
  if (s.fimPerClass > s.replayPerClass) throw new RangeError(`fimPerClass (${s.fimPerClass}) cannot exceed replayPerClass (${s.replayPerClass}): the Fisher pass reads the replay images`);
  checkStepCount('replaySteps', s.replaySteps, timesteps);
  return s;
}

/**
 * The replay set: `perClass` images of every class sampled from `model`, class by class, as a uint8 dataset of the
 * model's image size (labels 0 … C−1 in blocks of perClass). The caller owns it.
 */
export async function sampleReplay(
  model: UNet,
  schedule: NoiseSchedule,
  perClass: number,
  o: Pick<SampleOptions, 'steps' | 'eta' | 'guidance' | 'seed' | 'onStep' | 'signal'>,
): Promise<TensorDataset> {
  const C = model.config.numClasses;
  const labels = Array.from({ length: C * perClass }, (_, i) => Math.floor(i / perClass));
  const images = await sampleImages(model, schedule, labels, { sampler: 'ddim', ...o });
  const pixels = tidy(() => images.add(1).mul(127.5).round().clamp(0, 255).to('uint8'));
  images.dispose();
  const y = tensor(BigInt64Array.from(labels, (v) => BigInt(v)));
  return new TensorDataset({ images: pixels, labels: y, numClasses: C, name: 'sa-replay' });
}

/**
 * The diagonal Fisher information of SA's fim.py: for each image x (class y) of `images`, g = ∇θ Σ_{t=0}^{T−1} ‖ε_t −
 * ε̂_θ(x_t, t, y)‖² with fresh noise at every t (conditioning dropped with probability condDrop, 0.1 as the
 * reference's loss default); F = mean over images of g². Model in eval mode; the caller owns F.
 */
export async function fisherDiagonal(
  model: UNet,
  schedule: NoiseSchedule,
  images: Tensor,
  labels: Tensor,
  o: { chunk?: number; condDrop?: number; onImage?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<Gradients> {
  const params = [...model.namedParameters()].filter(([, p]) => p.requiresGrad);
  const n = images.shape[0]!;
  if (n === 0) throw new RangeError('fisherDiagonal: no images');
  const chunk = o.chunk ?? 100;
  const T = schedule.timesteps;
  const fisher: Gradients = new Map(params.map(([name, p]) => [name, keep(noGrad(() => zerosLike(p)))]));
  const perImage = params.map(([, p]) => keep(noGrad(() => zerosLike(p))));
  const wasTraining = model.training;
  model.eval();
  try {
    for (let i = 0; i < n; i++) {
      o.signal?.throwIfAborted();
      tidy(() => noGrad(() => perImage.forEach((g) => g.zero_())));
      for (let t0 = 0; t0 < T; t0 += chunk) {
        tidy(() => {
          const k = Math.min(chunk, T - t0);
          const x = images.narrow(0, i, 1).expand([k, ...images.shape.slice(1)]);
          const y = labels.narrow(0, i, 1).expand([k]);
          const ts = Array.from({ length: k }, (_, j) => t0 + j);
          // diffusionLoss is a mean over its batch: × k makes it the sum over these timesteps
          const loss = diffusionLoss(model, schedule, x, y, { timesteps: ts, condDrop: o.condDrop ?? 0.1 }).mul(k);
          const grads = autograd.grad(loss, params.map(([, p]) => p), { allowUnused: true });
          noGrad(() => grads.forEach((g, j) => g && perImage[j]!.add_(g)));
        });
      }
      tidy(() => noGrad(() => params.forEach(([name], j) => fisher.get(name)!.add_(perImage[j]!.square().div(n)))));
      o.onImage?.(i + 1, n);
      await yieldToLoop(); // a long pass: let progress print and Ctrl-C through
    }
    return fisher;
  } catch (e) {
    for (const f of fisher.values()) f.dispose();
    throw e;
  } finally {
    for (const g of perImage) g.dispose();
    model.train(wasTraining);
  }
}

/** λ·Σ_i F_i (θ_i − θ*_i)² over the parameters F names: the EWC penalty, with θ* the original's weights. */
export function ewcPenalty(model: UNet, original: UNet, fisher: Gradients, weight: number): Tensor {
  return tidy(() => {
    const anchor = new Map(original.namedParameters());
    let sum: Tensor | null = null;
    for (const [name, p] of model.namedParameters()) {
      const f = fisher.get(name);
      if (!f) continue;
      const term = f.mul(p.sub(anchor.get(name)!.detach()).square()).sum();
      sum = sum === null ? term : sum.add(term);
    }
    if (sum === null) throw new Error('ewcPenalty: the Fisher information names none of the model\u2019s parameters');
    return sum.mul(weight);
  });
}

/**
 * SA's loss on one step: L(u, c_f) + γ·L(x_r, y_r) + EWC, u ~ U[−1, 1] shaped like the replay batch, both diffusion
 * losses at the same antithetic timesteps and without conditioning dropout. xr: replay images in the model's range.
 */
export function saLoss(model: UNet & NoisePredictor, original: UNet, schedule: NoiseSchedule, fisher: Gradients, xr: Tensor, yr: Tensor, forgetClass: number, s: Pick<SaSettings, 'ewcWeight' | 'replayWeight'>): Tensor {
  return tidy(() => {
    const n = xr.shape[0]!;
    const ts = schedule.antitheticTimesteps(n);
    const u = rand(xr.shape).mul(2).sub(1);
    const yf = tensor(new BigInt64Array(n).fill(BigInt(forgetClass)));
    const forget = diffusionLoss(model, schedule, u, yf, { timesteps: ts, condDrop: 0 });
    const replay = diffusionLoss(model, schedule, xr, yr, { timesteps: ts, condDrop: 0 });
    return forget.add(replay.mul(s.replayWeight)).add(ewcPenalty(model, original, fisher, s.ewcWeight));
  });
}
