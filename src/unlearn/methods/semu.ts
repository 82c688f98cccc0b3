// SEMU: random-label unlearning inside the SVD subspace of the forget gradient, on D_f only.
//
// Reference (gmum/semu Classification/unlearn/own_SVD.py): every epoch, relabel D_f with random labels that
// differ from the true one (uniform, and (y+1) mod C where equal), and train only the k×k cores with SGD
// (momentum 0.9, weight decay 5e-4 on the cores) on D_f; no retain data unless useRetain. The whole model runs in
// eval mode (BatchNorm statistics frozen) while the cores train. README recipe: 10 epochs, lr 1e-5, γ = 0.95,
// projection on, early exit (which reads retain accuracy to decide when to stop: not implemented, so runs stay
// retain-free and last their epochs).
import { crossEntropy, type Tensor } from '../../torch/index.js';
import type { CommonOptions, MethodDefinition } from '../method.js';
import { registerMethod } from '../registry.js';
import { randomLabels, relabelledUnion, trainPass } from './loop.js';

/**
 * Options of SEMU ('semu'): the common ones and useRetain. The subspace block's settings (SubspaceBlockOptions) are
 * given as the run's `subspace`.
 */
export interface SemuOptions extends CommonOptions {
  /** train on D_f (random labels) and D_r (true labels) shuffled together (reference flag --use_retaining_data; default false) */
  useRetain: boolean;
}

export const semu: MethodDefinition<SemuOptions> = {
  name: 'semu',
  summary: 'SEMU: per-layer SVD of the forget gradient; train only the r×r cores with random labels on D_f (no retain data)',
  reference:
    'gmum/semu own_SVD.py, README: 10 epochs, lr 1e-5, batch 256, SGD momentum 0.9, wd 5e-4 (on the cores), gamma 0.95, projection on. ' +
    'Defaults follow the paper: orthogonal projection (reference divides by ||W|| instead of ||W||^2: --subspace projection=reference), ' +
    'BatchNorm in eval mode while collecting the gradient (reference leaves train mode on: --subspace bnMode=train).',
  defaults: { epochs: 10, lr: 1e-5, batchSize: 256, momentum: 0.9, weightDecay: 5e-4, augment: false, useRetain: false },
  defaultBlocks: { subspace: true },
  usesRetain: (o) => o.useRetain,
  async run(ctx) {
    const { model, options, numClasses } = ctx;
    const trainer = ctx.trainer();
    try {
      const relabel = (indices: Int32Array, y: Tensor, epoch: number): Tensor => randomLabels(indices, y, numClasses, ctx.seed, epoch, 'wrong');
      for (let e = 0; e < options.epochs; e++) {
        model.eval(); // the reference trains the cores with every BatchNorm on its running statistics
        if (options.useRetain) {
          // --use_retaining_data: the relabelled D_f and D_r (true labels) concatenated and shuffled together
          const union = relabelledUnion(ctx, e, relabel);
          try {
            await trainPass(ctx, trainer, ctx.loader(union, 'semu-union', e), (b) => crossEntropy(model.forward(b.x), b.y), 'semu', e, options.epochs);
          } finally {
            union.dispose();
          }
        } else {
          await trainPass(ctx, trainer, ctx.forgetLoader(e), (b) => crossEntropy(model.forward(b.x), relabel(b.indices, b.y, e)), 'semu', e, options.epochs);
        }
      }
    } finally {
      trainer.dispose();
      model.train();
    }
    return model;
  },
};
registerMethod(semu);
