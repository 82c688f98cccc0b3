// SEMU: random-label unlearning inside the SVD subspace of the forget gradient, on D_f only.
//
// Reference (gmum/semu Classification/unlearn/own_SVD.py): every epoch, relabel D_f with random labels that
// differ from the true one (uniform, and (y+1) mod C where equal), and train only the k×k cores with SGD
// (momentum 0.9, weight decay 5e-4 on the cores) on D_f; no retain data unless useRetain. The whole model runs in
// eval mode (BatchNorm statistics frozen) while the cores train. README recipe: 10 epochs, lr 1e-5, γ = 0.95,
// projection on, early exit (which reads retain accuracy: off here by default, to stay retain-free).
import { crossEntropy } from '../../torch/index.js';
import type { CommonOptions, MethodDefinition } from '../method.js';
import { registerMethod } from '../registry.js';
import { randomLabels, trainPass } from './loop.js';

export interface SemuOptions extends CommonOptions {
  /** add a pass over D_r with true labels each epoch (reference flag --use_retaining_data; default false) */
  useRetain: boolean;
}

export const semu: MethodDefinition<SemuOptions> = {
  name: 'semu',
  summary: 'SEMU: per-layer SVD of the forget gradient; train only the r×r cores with random labels on D_f (no retain data)',
  reference:
    'gmum/semu own_SVD.py, README: 10 epochs, lr 1e-5, batch 256, SGD momentum 0.9, wd 5e-4 (on the cores), gamma 0.95, projection on. ' +
    'Defaults follow the paper: orthogonal projection (reference divides by ||W|| instead of ||W||^2: subspace option projection=reference), ' +
    'BatchNorm in eval mode while collecting the gradient (reference leaves train mode on: option bnMode=train).',
  defaults: { epochs: 10, lr: 1e-5, batchSize: 256, momentum: 0.9, weightDecay: 5e-4, augment: false, useRetain: false },
  defaultBlocks: { subspace: true },
  usesRetain: false,
  async run(ctx) {
    const { model, options, numClasses } = ctx;
    const trainer = ctx.trainer();
    try {
      for (let e = 0; e < options.epochs; e++) {
        model.eval(); // the reference trains the cores with every BatchNorm on its running statistics
        await trainPass(ctx, trainer, ctx.forgetLoader(e), (b) => crossEntropy(model.forward(b.x), randomLabels(b.indices, b.y, numClasses, ctx.seed, e, 'wrong')), 'semu', e, options.epochs);
        if (options.useRetain) {
          await trainPass(ctx, trainer, ctx.retainLoader(e), (b) => crossEntropy(model.forward(b.x), b.y), 'semu retain', e, options.epochs);
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
