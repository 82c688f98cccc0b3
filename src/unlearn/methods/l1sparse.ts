// ℓ1-sparse: fine-tuning on D_r with a decaying ℓ1 penalty on the weights, which pushes the model towards
// sparsity (and sparse models unlearn better: "Model sparsity can simplify machine unlearning").
// Reference: Unlearn-Saliency / Unlearn-Sparse unlearn/FT.py FT_l1 (method FT_prune).
//
//   loss = CE(θ; retain batch) + α_e · ‖θ‖₁,   α_e = α · (1 − e / (E − noL1Epochs)) for e < E − noL1Epochs, else 0
// with e the 0-based epoch, ‖θ‖₁ the raw sum of |θ| over every parameter (BatchNorm weights and biases included,
// as the reference's l1_regularization over model.parameters()), and the optimizer's weight decay left on.
import { crossEntropy, tidy, type Tensor } from '../../torch/index.js';
import type { Module } from '../../nn/module.js';
import type { CommonOptions, MethodDefinition } from '../method.js';
import { registerMethod } from '../registry.js';
import { NO_FORGET_PASS, trainEpochs } from './loop.js';

/**
 * Options of 'l1-sparse': fine-tuning on D_r with an ℓ1 penalty whose weight decays linearly from alpha to 0. Throws a
 * RangeError on a negative alpha or a noL1Epochs outside [0, epochs).
 */
export interface L1SparseOptions extends CommonOptions {
  /** initial ℓ1 weight α (reference range 1e-6..1e-4; default 1e-4, Scissorhands' value) */
  alpha: number;
  /** last epochs trained without the penalty (reference no_l1_epochs, default 0) */
  noL1Epochs: number;
}

/** The penalty weight of epoch e (0-based): linear decay from α to 0 over the first E − noL1Epochs epochs. */
export function l1Weight(alpha: number, epoch: number, epochs: number, noL1Epochs: number): number {
  const active = epochs - noL1Epochs;
  return epoch < active ? alpha * (1 - epoch / active) : 0;
}

/** ‖θ‖₁ over all parameters (a scalar that carries gradients). */
export function l1Norm(model: Module): Tensor {
  return tidy(() => {
    let total: Tensor | null = null;
    for (const p of model.parameters()) {
      const s = p.abs().sum();
      total = total === null ? s : total.add(s);
    }
    if (total === null) throw new Error('l1-sparse: the model has no parameters');
    return total;
  });
}

export const l1Sparse: MethodDefinition<L1SparseOptions> = {
  name: 'l1-sparse',
  summary: 'fine-tune on D_r with cross-entropy plus a linearly decaying l1 penalty on all weights',
  reference:
    'Unlearn-Saliency FT.py FT_l1: SGD momentum 0.9, wd 5e-4 (kept on), batch 256, 10 epochs, lr 0.01 (range 1e-3..1e-1), ' +
    'alpha 1e-4 (range 1e-6..1e-4; Scissorhands 1e-4, the upper end, since short runs need the strongest push to sparsity), decayed linearly to 0, noL1Epochs 0.',
  defaults: { epochs: 10, lr: 0.01, batchSize: 256, momentum: 0.9, weightDecay: 5e-4, augment: false, alpha: 1e-4, noL1Epochs: 0 },
  usesRetain: true,
  refusesBlocks: { curriculum: NO_FORGET_PASS },
  check(o) {
    if (!(o.alpha >= 0)) throw new RangeError(`l1-sparse: alpha must be ≥ 0, got ${o.alpha}`);
    if (!Number.isInteger(o.noL1Epochs) || o.noL1Epochs < 0 || (o.epochs > 0 && o.noL1Epochs >= o.epochs)) {
      throw new RangeError(`l1-sparse: noL1Epochs must be an integer in [0, epochs) = [0, ${o.epochs}), got ${o.noL1Epochs}`);
    }
  },
  async run(ctx) {
    const { model, options: o } = ctx;
    await trainEpochs(ctx, 'l1-sparse', ctx.retainLoader, (b, e) => {
      const weight = l1Weight(o.alpha, e, o.epochs, o.noL1Epochs);
      const ce = crossEntropy(model.forward(b.x), b.y);
      return weight === 0 ? ce : ce.add(l1Norm(model).mul(weight));
    });
    return model;
  },
};
registerMethod(l1Sparse);
