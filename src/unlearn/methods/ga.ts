// GA: gradient ascent on the forget set (minimise −CE on D_f), no retain data. Reference: Unlearn-Saliency GA.py.
//
// The reference ascends in train mode, so BatchNorm's running statistics become D_f's: for a whole class, the
// model then misreads the others whatever the lr (full scale, class 1: lr 1e-6 and 1e-5 cost RA 11-13 points
// alike). bnMode=eval, a deviation of ours, keeps BatchNorm on the original's statistics (see BatchNormOption).
import { crossEntropy } from '../../torch/index.js';
import type { CommonOptions, MethodDefinition } from '../method.js';
import { registerMethod } from '../registry.js';
import { bnModeOf, trainEpochs, type BatchNormOption } from './loop.js';

/** Options of gradient ascent ('ga'): the common ones and bnMode (default 'train', as the reference). */
export interface GaOptions extends CommonOptions, BatchNormOption {}

export const ga: MethodDefinition<GaOptions> = {
  name: 'ga',
  summary: 'gradient ascent on D_f (minimise -CE), no retain data',
  reference:
    'Unlearn-Saliency GA.py: SGD momentum 0.9, wd 5e-4, batch 256, 5 epochs, lr 1e-4 (range 1e-5..1e-3), BatchNorm in train mode ' +
    '(option bnMode=eval keeps the original statistics: a deviation)',
  defaults: { epochs: 5, lr: 1e-4, batchSize: 256, momentum: 0.9, weightDecay: 5e-4, augment: false, bnMode: 'train' },
  usesRetain: false,
  check: (o) => void bnModeOf('ga', o),
  async run(ctx) {
    const { model } = ctx;
    await trainEpochs(ctx, 'ga', ctx.forgetLoader, (b) => crossEntropy(model.forward(b.x), b.y).neg(), { bnMode: bnModeOf('ga', ctx.options) });
    return model;
  },
};
registerMethod(ga);
