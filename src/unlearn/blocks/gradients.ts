// Gradients of a loss accumulated over a whole data set, per parameter tensor.
//
// Every method family needs one: SalUn's saliency mask (sum of per-batch mean gradients of the forget loss),
// SEMU's subspace (the same sum over conv/linear weights), CUFG's forgetting gradient (their mean), influence
// unlearning (sums over D_f and D_r). The parameters' own .grad is never touched: gradients come from
// autograd.grad, so a training step in progress is not disturbed.
import type { Module } from '../../nn/module.js';
import { autograd, keep, noGrad, tidy, zerosLike, type Tensor } from '../../torch/index.js';
import { clipTensorsNorm } from '../../optim/clip.js';
import type { Batch } from '../../data/loader.js';

/** Options of accumulateGradients. */
export interface AccumulateOptions {
  /** which parameters (default: every parameter of the model) */
  params?: readonly [string, Tensor][];
  /** 'sum' adds the per-batch gradients (SalUn, SEMU); 'mean' divides the sum by the number of batches (CUFG) */
  reduce?: 'sum' | 'mean';
  /** clip each batch's gradient to this global L2 norm before adding it (SalUn's diffusion mask does) */
  clipNorm?: number;
  /** checked between batches */
  signal?: AbortSignal;
  /**
   * Data-parallel runs: makes the per-rank sums agree (their mean over ranks; with equal shards of each global
   * batch that is exactly the 1-process sum of batch-mean gradients). Called before the 'mean' division.
   */
  allReduce?: (sums: Tensor[]) => void;
}

/** Named gradient tensors, owned by the caller (dispose with disposeGradients). */
export type Gradients = Map<string, Tensor>;

/**
 * Runs `loss(batch)` on every batch and accumulates d loss / d param for the chosen parameters.
 * The model's train/eval mode is whatever the caller set.
 */
export function accumulateGradients(
  model: Module,
  batches: Iterable<Batch>,
  loss: (batch: Batch) => Tensor,
  o: AccumulateOptions = {},
): Gradients {
  const params = o.params ?? [...model.namedParameters()];
  if (params.length === 0) throw new Error('accumulateGradients: no parameters selected');
  const sums = new Map<string, Tensor>();
  for (const [name, p] of params) sums.set(name, keep(noGrad(() => zerosLike(p))));
  let count = 0;
  try {
    for (const batch of batches) {
      try {
        o.signal?.throwIfAborted();
        tidy(() => {
          const l = loss(batch);
          const value = l.item();
          if (!Number.isFinite(value)) throw new Error(`accumulateGradients: the loss is ${value} on a batch; the model or data is broken (NaN/Inf)`);
          const grads = autograd.grad(l, params.map(([, p]) => p), { allowUnused: true });
          if (o.clipNorm !== undefined) clipTensorsNorm(grads.filter((g): g is Tensor => g !== null), o.clipNorm);
          noGrad(() => {
            params.forEach(([name], i) => {
              const g = grads[i];
              if (g != null) sums.get(name)!.add_(g);
            });
          });
        });
        count++;
      } finally {
        batch.dispose();
      }
    }
    if (count === 0) throw new Error('accumulateGradients: the data set produced no batches (is it empty?)');
    o.allReduce?.([...sums.values()]);
    if (o.reduce === 'mean') noGrad(() => sums.forEach((s) => s.div_(count)));
    return sums;
  } catch (e) {
    disposeGradients(sums);
    throw e;
  }
}

/** Disposes every tensor of `g` and empties it. */
export function disposeGradients(g: Gradients): void {
  for (const t of g.values()) t.dispose();
  g.clear();
}
