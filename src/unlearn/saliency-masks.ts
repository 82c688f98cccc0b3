// SalUn's saliency masks, built the way a run builds its mask block, so that they can also be built on their own:
// the reference computes its masks in a separate step (generate_mask.py, one gradient pass, a mask per ratio
// 0.1 … 1.0 saved as with_<ratio>.pt) and every unlearning run then loads one.
//
// One pass over D_f gives G = Σ_batches ∇θ CE (the original model in eval mode); each ratio then keeps its top
// floor(ratio·N) entries of |G|. The forget stream is the run's own ('mask' stream of the run's seed, the method's
// batch size and augmentation), so a mask built here equals, bit for bit, the one `unlearn` builds in a run of that
// method with that seed (and that --save-mask writes).
import type { Module } from '../nn/module.js';
import type { TensorDataset } from '../data/dataset.js';
import { crossEntropy, type Tensor } from '../torch/index.js';
import { accumulateGradients, disposeGradients, type Gradients } from './blocks/gradients.js';
import { checkMaskRatios, maskFromGradients, masksFromGradients, type SaliencyMask } from './blocks/saliency.js';
import { streamLoader } from './stream-loader.js';
import { getMethod } from './registry.js';
import { resolveOptions } from './resolve-options.js';
import type { DataLoader } from '../data/loader.js';

/** The saliency G = Σ over the loader's batches of ∇θ CE(θ; batch), the model in eval mode (its mode restored after). */
export function saliencyGradients(original: Module, forget: DataLoader, signal?: AbortSignal, allReduce?: (sums: Tensor[]) => void): Gradients {
  const wasTraining = original.training;
  original.eval();
  try {
    return accumulateGradients(original, forget, (b) => crossEntropy(original.forward(b.x), b.y), {
      reduce: 'sum',
      ...(signal ? { signal } : {}),
      ...(allReduce ? { allReduce } : {}),
    });
  } finally {
    original.train(wasTraining);
  }
}

/** SalUn's mask: |Σ_batches ∇ CE(θ_o; D_f batch)|, eval mode, global top-k. */
export function buildSaliencyMask(original: Module, forget: DataLoader, ratio: number, signal?: AbortSignal, allReduce?: (sums: Tensor[]) => void): SaliencyMask {
  const grads = saliencyGradients(original, forget, signal, allReduce);
  try {
    return maskFromGradients(grads, ratio);
  } finally {
    disposeGradients(grads);
  }
}

/** Options of saliencyMasks: what the run whose mask is wanted would be. */
export interface SaliencyMasksOptions {
  /** the method whose batch size and augmentation the forget stream takes (default 'salun') */
  method?: string;
  /** that method's options over its defaults (batchSize and augment matter here) */
  options?: Record<string, unknown>;
  /** the run's seed (default 0, as unlearn's): it orders the forget stream */
  seed?: number;
  /** checked between batches */
  signal?: AbortSignal;
}

/**
 * The saliency masks of `original` on `forget` for every ratio in `ratios`, from one gradient pass: each equal to the
 * mask `unlearn` would build with that ratio for a run of `o.method` with `o.seed`. The caller owns the masks (nested:
 * a smaller ratio's salient weights are among a larger one's, ties aside). Throws on an empty forget set, an empty or
 * repeated ratio list, or a ratio outside (0, 1].
 */
export function saliencyMasks(original: Module, forget: TensorDataset, ratios: readonly number[], o: SaliencyMasksOptions = {}): SaliencyMask[] {
  original.checkLive('saliencyMasks');
  if (forget.size === 0) throw new Error('saliencyMasks: the forget set is empty: there is no gradient to rank weights by');
  checkMaskRatios(ratios, 'saliencyMasks');
  const def = getMethod(o.method ?? 'salun');
  const options = resolveOptions(def.name, def.defaults, o.options);
  const loader = streamLoader(forget, { seed: o.seed ?? 0, stream: 'mask', epoch: 0, batchSize: options.batchSize, augment: options.augment });
  const grads = saliencyGradients(original, loader, o.signal);
  try {
    return masksFromGradients(grads, ratios);
  } finally {
    disposeGradients(grads);
  }
}
