// Gradient clipping: torch.nn.utils.clip_grad_norm_ and clip_grad_value_. Both rescale the gradients in
// place (that is their job: the next optimizer step reads them); parameters are untouched.
import { aten } from '../torch/aten.js';
import { call, Tensor } from '../torch/tensor.js';
import { stack } from '../torch/functional.js';
import { tidy } from '../torch/scope.js';
import { noGrad } from '../torch/autograd.js';

const NORM = aten('norm', 'ScalarOpt_dim');

/** Options of clipGradNorm and clipTensorsNorm. */
export interface ClipGradNormOptions {
  /** Throw if the total norm is NaN or ±Inf instead of scaling by it (PyTorch's error_if_nonfinite). */
  errorIfNonfinite?: boolean;
}

function gradsOf(params: Tensor | readonly Tensor[], where: string): Tensor[] {
  const list = params instanceof Tensor ? [params] : params;
  if (!Array.isArray(list)) throw new TypeError(`${where}: expected a Tensor or an array of Tensors`);
  const grads: Tensor[] = [];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${where}: params[${i}] is not a Tensor`);
    const g = p.grad; // a new handle on the same gradient storage: in-place ops reach p's gradient
    if (g !== null) grads.push(g);
  });
  return grads;
}

/**
 * Scales all gradients together so that their joint normType-norm is at most maxNorm, exactly as
 * torch.nn.utils.clip_grad_norm_: per-gradient norms, the norm of those, coefficient
 * clamp(maxNorm · 1/(total + 1e-6), max 1), each gradient *= coefficient. normType may be Infinity (max |g|).
 * Returns the total norm before clipping (0 when no parameter has a gradient).
 */
export function clipGradNorm(params: Tensor | readonly Tensor[], maxNorm: number, normType = 2, opts: ClipGradNormOptions = {}): number {
  return noGrad(() => tidy(() => clipTensorsNorm(gradsOf(params, 'clipGradNorm'), maxNorm, normType, opts)));
}

/**
 * The same rescaling applied to a list of gradient tensors in place (e.g. gradients from autograd.grad that are
 * not stored in any .grad). Returns the total norm before clipping.
 */
export function clipTensorsNorm(grads: readonly Tensor[], maxNorm: number, normType = 2, opts: ClipGradNormOptions = {}): number {
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) throw new TypeError(`clipGradNorm: maxNorm must be a number, got ${String(maxNorm)}`);
  if (typeof normType !== 'number' || Number.isNaN(normType)) throw new TypeError(`clipGradNorm: normType must be a number (or Infinity), got ${String(normType)}`);
  return noGrad(() =>
    tidy(() => {
      if (grads.length === 0) return 0;
      let total: Tensor;
      if (normType === Infinity) {
        const norms = grads.map((g) => g.abs().max());
        total = norms.length === 1 ? norms[0]! : stack(norms).max();
      } else {
        // torch.norm(x, p) reduces over every dim of x: for a 0-d gradient that list is empty.
        const norms = grads.map((g) => call(NORM, g, normType, g.shape.map((_, d) => d), false));
        total = call(NORM, stack(norms), normType, [0], false);
      }
      const totalValue = total.item();
      if (opts.errorIfNonfinite === true && !Number.isFinite(totalValue)) {
        throw new Error(`clipGradNorm: the total norm of order ${normType} of the gradients is ${totalValue}, so it cannot be clipped (pass errorIfNonfinite: false to scale by it anyway)`);
      }
      // PyTorch writes max_norm / (total + 1e-6); Python evaluates float / Tensor as reciprocal() * float.
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1.0);
      for (const g of grads) g.mul_(coef);
      return totalValue;
    }),
  );
}

/** Clamps every gradient to [-clip, clip] in place (torch.nn.utils.clip_grad_value_). */
export function clipGradValue(params: Tensor | readonly Tensor[], clip: number): void {
  if (typeof clip !== 'number' || !(clip >= 0)) throw new RangeError(`clipGradValue: clip must be a number >= 0, got ${String(clip)}`);
  noGrad(() =>
    tidy(() => {
      for (const g of gradsOf(params, 'clipGradValue')) g.clamp_(-clip, clip);
    }),
  );
}
