// Adam and AdamW: torch.optim.Adam / torch.optim.AdamW (PyTorch 1.13, single-tensor, non-capturable path).
import type { Tensor } from '../torch/tensor.js';
import { zerosLike } from '../torch/creation.js';
import {
  Optimizer,
  type BaseOptions,
  type ParamGroup,
  type ParamsInput,
  type ParamState,
  checkBoolean,
  checkMaskMode,
  checkNonNegative,
} from './optimizer.js';
import { libmPow } from './libm.js';

/**
 * Options of Adam and AdamW; defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0 (AdamW 0.01), amsgrad false,
 * maximize false, maskMode 'update'.
 */
export interface AdamOptions extends BaseOptions {
  /** Decay rates of the first and second moment estimates, each in [0, 1). */
  betas: readonly [number, number];
  /** Added to the denominator's square root for stability; >= 0. */
  eps: number;
  /** Use the running maximum of the second moment (AMSGrad). */
  amsgrad: boolean;
  /** Ascend instead of descend. */
  maximize: boolean;
}

/**
 * Adam and AdamW, per parameter with gradient g at step t (counted per parameter, from 1):
 *   g = -g if maximize;  g += weightDecay·p            (Adam: L2 added to the gradient)
 *   p *= 1 - lr·weightDecay                             (AdamW instead: decoupled decay)
 *   m = β1·m + (1-β1)·g;   v = β2·v + (1-β2)·g²;   vmax = max(vmax, v) if amsgrad
 *   p -= lr/(1-β1^t) · m / (sqrt(v or vmax)/sqrt(1-β2^t) + eps)
 * β^t is C's pow (see libm.ts), so the bias corrections equal PyTorch's bit for bit.
 * State: "exp_avg", "exp_avg_sq", "max_exp_avg_sq" (amsgrad) and the step count ("step" in state dicts).
 */
abstract class AdamFamily extends Optimizer<AdamOptions> {
  private readonly powCache = new Map<string, number>();

  /** @param decoupled AdamW's decoupled weight decay instead of Adam's L2 term */
  protected constructor(
    name: string,
    params: ParamsInput<AdamOptions>,
    defaults: AdamOptions,
    private readonly decoupled: boolean,
  ) {
    super(name, params, defaults, ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
  }

  protected validate(o: AdamOptions, where: string): void {
    checkNonNegative(o.lr, 'lr', where);
    checkNonNegative(o.eps, 'eps', where);
    checkNonNegative(o.weightDecay, 'weightDecay', where);
    const b = o.betas as unknown;
    if (!Array.isArray(b) || b.length !== 2 || !b.every((x) => typeof x === 'number' && x >= 0 && x < 1)) {
      throw new RangeError(`${where}: betas must be two numbers in [0, 1), got ${JSON.stringify(b)}`);
    }
    checkBoolean(o.amsgrad, 'amsgrad', where);
    checkBoolean(o.maximize, 'maximize', where);
    checkMaskMode(o.maskMode, where);
  }

  /** beta ** step as Python computes it; cached because every parameter of a step asks for the same powers. */
  private pow(beta: number, step: number): number {
    const key = `${beta}^${step}`;
    let v = this.powCache.get(key);
    if (v === undefined) {
      if (this.powCache.size > 16) this.powCache.clear();
      v = libmPow(beta, step);
      this.powCache.set(key, v);
    }
    return v;
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup<AdamOptions>): void {
    const [beta1, beta2] = g.betas;
    const step = (state.step ?? 0) + 1;
    state.step = step;
    let gr = g.maximize ? grad.neg() : grad;
    if (this.decoupled) {
      if (g.weightDecay !== 0) p.mul_(1 - g.lr * g.weightDecay);
    } else if (g.weightDecay !== 0) {
      gr = gr.add(p, g.weightDecay);
    }
    const expAvg = state.tensors.get('exp_avg') ?? this.initState(state, 'exp_avg', zerosLike(p));
    const expAvgSq = state.tensors.get('exp_avg_sq') ?? this.initState(state, 'exp_avg_sq', zerosLike(p));
    expAvg.mul_(beta1).add_(gr, 1 - beta1);
    expAvgSq.mul_(beta2).addcmul_(gr, gr, 1 - beta2);
    const biasCorrection1 = 1 - this.pow(beta1, step);
    const biasCorrection2 = 1 - this.pow(beta2, step);
    const stepSize = g.lr / biasCorrection1;
    const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
    let second = expAvgSq;
    if (g.amsgrad) {
      const maxSq = state.tensors.get('max_exp_avg_sq') ?? this.initState(state, 'max_exp_avg_sq', zerosLike(p));
      maxSq.copy_(maxSq.maximum(expAvgSq)); // torch.maximum(max, v, out=max)
      second = maxSq;
    }
    const denom = second.sqrt().div(biasCorrection2Sqrt).add(g.eps);
    p.addcdiv_(expAvg, denom, -stepSize);
  }
}

/** torch.optim.Adam (weight decay as an L2 term added to the gradient; default weightDecay 0). */
export class Adam extends AdamFamily {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('Adam', params, adamDefaults(options, 0), false);
  }
}

/** torch.optim.AdamW: decoupled weight decay p *= 1 - lr·wd (default weightDecay 0.01, as in PyTorch). */
export class AdamW extends AdamFamily {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('AdamW', params, adamDefaults(options, 0.01), true);
  }
}

function adamDefaults(o: Partial<AdamOptions>, weightDecay: number): AdamOptions {
  return {
    lr: o.lr ?? 1e-3,
    betas: o.betas === undefined ? [0.9, 0.999] : [o.betas[0], o.betas[1]],
    eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? weightDecay,
    amsgrad: o.amsgrad ?? false,
    maximize: o.maximize ?? false,
    maskMode: o.maskMode ?? 'update',
  };
}
