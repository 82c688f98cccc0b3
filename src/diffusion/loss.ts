// The losses of a class-conditional ε-prediction model: the DDPM training loss, the classifier-free-guided
// prediction, and SalUn's forgetting loss for diffusion (research/salun.md §6).
import { cat, fullLike, mseLoss, noGrad, rand, randnLike, tidy, where, type Tensor } from '../torch/index.js';
import { type NoiseSchedule, timestepTensor } from './schedule.js';

/** What the losses need from a model: ε_θ(x_t, t, y) and the index of its null class. */
export interface NoisePredictor {
  /**
   * The predicted noise ε̂ for images x_t [B, C, S, S], timesteps t [B] and labels y [B] (nullClass = unconditional).
   */
  forward(x: Tensor, t: Tensor, y: Tensor): Tensor;
  /** The label that means "no class" (classifier-free guidance). */
  readonly nullClass: number;
}

/** Replaces each label by the null class with probability p (classifier-free guidance training). */
export function dropConditioning(y: Tensor, nullClass: number, p: number): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`conditioning dropout must be in [0, 1], got ${p}`);
  if (p === 0) return y.clone();
  return tidy(() => where(rand(y.shape).lt(p), nullClass, y));
}

/** ‖ε − ε̂‖² summed over every pixel of a sample, averaged over the batch (the reference's loss). */
export function noiseLoss(noise: Tensor, predicted: Tensor): Tensor {
  if (noise.shape.join(',') !== predicted.shape.join(',')) {
    throw new Error(`noiseLoss: noise [${noise.shape}] and prediction [${predicted.shape}] must have the same shape`);
  }
  return tidy(() => predicted.sub(noise).square().flatten(1).sum(1).mean());
}

/** Classifier-free guidance: (1 + w)·ε(x, c) − w·ε(x, ∅). */
export function guide(conditional: Tensor, unconditional: Tensor, w: number): Tensor {
  return tidy(() => conditional.mul(1 + w).sub(unconditional.mul(w)));
}

/**
 * The guided prediction (1 + w)·ε(x, t, y) − w·ε(x, t, ∅), with both halves in one batched forward pass.
 * w = 0 is a plain conditional prediction (one pass).
 */
export function guidedPrediction(model: NoisePredictor, x: Tensor, t: Tensor, y: Tensor, w: number): Tensor {
  if (w === 0) return model.forward(x, t, y);
  return tidy(() => {
    const b = x.shape[0]!;
    const both = model.forward(cat([x, x]), cat([t, t]), cat([y, fullLike(y, model.nullClass)]));
    return guide(both.narrow(0, 0, b), both.narrow(0, b, b), w);
  });
}

/** Options of diffusionLoss. */
export interface DiffusionLossOptions {
  /** probability of replacing a label by the null class (default 0.1, the reference's cond_drop_prob) */
  condDrop?: number;
  /** guidance weight of the prediction inside the loss (default 0: the plain training loss; SalUn's mask uses 2) */
  guidance?: number;
  /** fixed timesteps (default: antithetic sampling) */
  timesteps?: ArrayLike<number>;
  /** fixed noise (default: standard normal) */
  noise?: Tensor;
}

/** The DDPM loss on a batch: x_t = q(x_t | x_0, ε) at sampled t, loss = ‖ε − ε̂_θ(x_t, t, y)‖² (sum/px, mean/batch). */
export function diffusionLoss(model: NoisePredictor, schedule: NoiseSchedule, x0: Tensor, y: Tensor, o: DiffusionLossOptions = {}): Tensor {
  return tidy(() => {
    const b = x0.shape[0]!;
    const ts = o.timesteps ?? schedule.antitheticTimesteps(b);
    const noise = o.noise ?? randnLike(x0);
    const xt = schedule.qSample(x0, ts, noise);
    const labels = dropConditioning(y, model.nullClass, o.condDrop ?? 0.1);
    const pred = guidedPrediction(model, xt, timestepTensor(ts), labels, o.guidance ?? 0);
    return noiseLoss(noise, pred);
  });
}

/** Options of forgetLoss. */
export interface ForgetLossOptions {
  /** conditioning dropout on both predictions (default 0.1: the reference trains in train mode with cond-drop on) */
  condDrop?: number;
  /** number of real classes (for c′ = (c + 1) mod C) */
  numClasses: number;
  /** Fixed timesteps (default: antithetic sampling). */
  timesteps?: ArrayLike<number>;
  /** Fixed noise (default: standard normal). */
  noise?: Tensor;
}

/**
 * SalUn's forgetting loss for diffusion (the reference's `rl` method): at the same x_t, pull the prediction for
 * the forgotten class c towards a detached prediction for c′ = (c + 1) mod C. MSE as a mean over all elements.
 */
export function forgetLoss(model: NoisePredictor, schedule: NoiseSchedule, x0: Tensor, y: Tensor, o: ForgetLossOptions): Tensor {
  return tidy(() => {
    const b = x0.shape[0]!;
    const ts = o.timesteps ?? schedule.antitheticTimesteps(b);
    const noise = o.noise ?? randnLike(x0);
    const xt = schedule.qSample(x0, ts, noise);
    const t = timestepTensor(ts);
    const p = o.condDrop ?? 0.1;
    const out = model.forward(xt, t, dropConditioning(y, model.nullClass, p));
    const pseudoLabels = dropConditioning(y.add(1).remainder(o.numClasses), model.nullClass, p);
    // stopgrad: no graph is recorded for the target at all (cheaper than building one and detaching it)
    const pseudo = noGrad(() => model.forward(xt, t, pseudoLabels));
    return mseLoss(out, pseudo);
  });
}
