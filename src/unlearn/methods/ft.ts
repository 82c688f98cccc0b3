// FT: fine-tune on the retain set only (catastrophic forgetting of D_f). Reference: Unlearn-Saliency unlearn/FT.py.
import { crossEntropy } from '../../torch/index.js';
import type { CommonOptions, MethodDefinition } from '../method.js';
import { registerMethod } from '../registry.js';
import { NO_FORGET_PASS, trainEpochs } from './loop.js';

export const ft: MethodDefinition<CommonOptions> = {
  name: 'ft',
  summary: 'fine-tune on D_r with cross-entropy',
  reference: 'Unlearn-Saliency FT.py: SGD momentum 0.9, wd 5e-4, batch 256, 10 epochs, lr 0.01 typical (range 1e-3..1e-1)',
  defaults: { epochs: 10, lr: 0.01, batchSize: 256, momentum: 0.9, weightDecay: 5e-4, augment: false },
  usesRetain: true,
  refusesBlocks: { curriculum: NO_FORGET_PASS },
  async run(ctx) {
    const { model } = ctx;
    await trainEpochs(ctx, 'ft', ctx.retainLoader, (b) => crossEntropy(model.forward(b.x), b.y));
    return model;
  },
};
registerMethod(ft);
