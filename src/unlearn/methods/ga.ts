// GA: gradient ascent on the forget set (minimise −CE on D_f), no retain data. Reference: Unlearn-Saliency GA.py.
import { crossEntropy } from '../../torch/index.js';
import type { CommonOptions, MethodDefinition } from '../method.js';
import { registerMethod } from '../registry.js';
import { trainEpochs } from './loop.js';

export const ga: MethodDefinition<CommonOptions> = {
  name: 'ga',
  summary: 'gradient ascent on D_f (minimise -CE), no retain data',
  reference: 'Unlearn-Saliency GA.py: SGD momentum 0.9, wd 5e-4, batch 256, 5 epochs, lr 1e-4 (range 1e-5..1e-3)',
  defaults: { epochs: 5, lr: 1e-4, batchSize: 256, momentum: 0.9, weightDecay: 5e-4, augment: false },
  usesRetain: false,
  async run(ctx) {
    const { model } = ctx;
    await trainEpochs(ctx, 'ga', ctx.forgetLoader, (b) => crossEntropy(model.forward(b.x), b.y).neg());
    return model;
  },
};
registerMethod(ga);
