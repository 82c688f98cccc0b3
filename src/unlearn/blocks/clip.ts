// Global-norm clipping of a list of gradient tensors, as torch.nn.utils.clip_grad_norm_ does to .grad.
import { noGrad, stack, tidy, type Tensor } from '../../torch/index.js';

/** Scales the gradients in place so their global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradients(grads: readonly (Tensor | null)[], maxNorm: number): number {
  const present = grads.filter((g): g is Tensor => g !== null);
  if (present.length === 0) return 0;
  return tidy(() =>
    noGrad(() => {
      const total = stack(present.map((g) => g.norm(2))).norm(2);
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clampMax(1);
      for (const g of present) g.mul_(coef);
      return total.item();
    }),
  );
}
