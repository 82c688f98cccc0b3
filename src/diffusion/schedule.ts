// The DDPM noise schedule: linear β from 1e-4 to 0.02 over T steps, and the forward process q(x_t | x_0).
//
// The schedule is held as float64 JS arrays: the samplers and q_sample read per-timestep scalars, which are
// turned into [B, 1, 1, 1] coefficient tensors for the batch at hand.
import { randint, tensor, tidy, type Tensor } from '../torch/index.js';
import { refuseUnknownKeys } from '../util/options.js';

/**
 * A count of sampling steps over a schedule: an integer from 1 to its T (the T when given; unknown before a model is
 * loaded, then only the lower bound is checked).
 */
export function checkStepCount(key: string, v: number, timesteps?: number): void {
  if (!(Number.isInteger(v) && v >= 1 && v <= (timesteps ?? Number.POSITIVE_INFINITY))) throw new RangeError(`${key} must be an integer from 1 to the schedule's ${timesteps ?? 'T'} steps, got ${v}`);
}

/** Options of NoiseSchedule; an unknown key is an error, and 0 < betaStart ≤ betaEnd < 1 must hold. */
export interface ScheduleOptions {
  /** number of diffusion steps T (default 1000) */
  timesteps?: number;
  /** β at the first step (default 1e-4). */
  betaStart?: number;
  /** β at the last step (default 0.02). */
  betaEnd?: number;
}

/** β_t, α_t and ᾱ_t for T steps (default 1000, β linear from 1e-4 to 0.02, as the DDPM reference), and q(x_t | x_0). */
export class NoiseSchedule {
  /** The number of diffusion steps T; timesteps run 0 … T−1. */
  readonly timesteps: number;
  /** β_t for t = 0 … T−1, linear from betaStart to betaEnd. */
  readonly betas: Float64Array;
  /** α_t = 1 − β_t. */
  readonly alphas: Float64Array;
  /** ᾱ_t = Π_{s ≤ t} α_s */
  readonly alphaBars: Float64Array;

  constructor(o: ScheduleOptions = {}) {
    refuseUnknownKeys('NoiseSchedule', o, ['timesteps', 'betaStart', 'betaEnd']);
    const T = o.timesteps ?? 1000;
    const b0 = o.betaStart ?? 1e-4;
    const b1 = o.betaEnd ?? 0.02;
    if (!Number.isInteger(T) || T < 1) throw new RangeError(`NoiseSchedule: timesteps must be a positive integer, got ${T}`);
    if (!(b0 > 0 && b1 >= b0 && b1 < 1)) throw new RangeError(`NoiseSchedule: need 0 < betaStart ≤ betaEnd < 1, got ${b0} and ${b1}`);
    this.timesteps = T;
    // np.linspace(beta_start, beta_end, T) as the reference's get_beta_schedule('linear')
    this.betas = Float64Array.from({ length: T }, (_, i) => (T === 1 ? b0 : b0 + ((b1 - b0) * i) / (T - 1)));
    this.alphas = this.betas.map((b) => 1 - b);
    this.alphaBars = new Float64Array(T);
    let prod = 1;
    for (let i = 0; i < T; i++) {
      prod *= this.alphas[i]!;
      this.alphaBars[i] = prod;
    }
  }

  /** ᾱ at t, with ᾱ_{−1} = 1 (the value DDIM uses for the last step). */
  alphaBar(t: number): number {
    if (t === -1) return 1;
    this.checkT(t);
    return this.alphaBars[t]!;
  }

  /** Throws a RangeError unless t is an integer timestep in [0, timesteps). */
  checkT(t: number): void {
    if (!Number.isInteger(t) || t < 0 || t >= this.timesteps) throw new RangeError(`timestep ${t} is out of range [0, ${this.timesteps})`);
  }

  /** A per-sample coefficient f(t_i) as a float32 [B, 1, 1, 1] tensor. */
  coefficient(ts: ArrayLike<number>, f: (t: number) => number): Tensor {
    const values = Float32Array.from({ length: ts.length }, (_, i) => {
      const t = ts[i]!;
      this.checkT(t);
      return f(t);
    });
    return tensor(values, { shape: [ts.length, 1, 1, 1] });
  }

  /** x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε, for per-sample timesteps. */
  qSample(x0: Tensor, ts: ArrayLike<number>, noise: Tensor): Tensor {
    if (x0.shape[0] !== ts.length) throw new Error(`qSample: ${x0.shape[0]} images but ${ts.length} timesteps`);
    return tidy(() => {
      const a = this.coefficient(ts, (t) => Math.sqrt(this.alphaBars[t]!));
      const s = this.coefficient(ts, (t) => Math.sqrt(1 - this.alphaBars[t]!));
      return x0.mul(a).add(noise.mul(s));
    });
  }

  /**
   * Antithetic timestep sampling (the reference's training loop): draw ⌊n/2⌋+1 timesteps uniformly from
   * libtorch's generator, append T−1−t for each, keep the first n. Halves the variance of the loss estimate.
   */
  antitheticTimesteps(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`antitheticTimesteps: n must be a positive integer, got ${n}`);
    const half = Math.floor(n / 2) + 1;
    const drawn = tidy(() => randint(0, this.timesteps, [half]).toTypedArray() as BigInt64Array);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i < half ? Number(drawn[i]) : this.timesteps - 1 - Number(drawn[i - half]);
    return out;
  }

  /** The options that rebuild this schedule, as checkpoints store them. */
  toJSON(): { timesteps: number; betaStart: number; betaEnd: number } {
    return { timesteps: this.timesteps, betaStart: this.betas[0]!, betaEnd: this.betas[this.timesteps - 1]! };
  }
}

/** Timesteps as the int64 tensor the UNet takes. */
export function timestepTensor(ts: ArrayLike<number>): Tensor {
  return tensor(BigInt64Array.from(Array.from({ length: ts.length }, (_, i) => BigInt(ts[i]!))));
}
