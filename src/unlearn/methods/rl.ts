// RL: random labels on D_f plus fine-tuning on D_r, and SalUn = RL on the salient weights only.
//
// Reference (Unlearn-Saliency RL.py, current HEAD for CIFAR-10): every epoch, one pass over D_f with labels
// drawn uniformly from {0..C−1} (the true label included, with probability 1/C), then one pass over all of D_r
// with true labels. variant 'mixed' is the older code (and CIFAR-100's): D_f relabelled once per epoch,
// concatenated with D_r and shuffled together.
import { crossEntropy, type Tensor } from '../../torch/index.js';
import { type CommonOptions, type MethodContext, type MethodDefinition } from '../method.js';
import { oneOf } from '../../util/options.js';
import { registerMethod } from '../registry.js';
import { randomLabels, relabelledUnion, trainPass } from './loop.js';
import type { Module } from '../../nn/module.js';

/** Options of random labelling ('rl') and SalUn ('salun'): the common ones, variant and labels. */
export interface RlOptions extends CommonOptions {
  /** 'sequential' (reference HEAD): forget pass then retain pass; 'mixed': one shuffled pass over relabelled D_f ∪ D_r */
  variant: string;
  /** 'uniform' (reference: may redraw the true label) or 'wrong' (always a different class, the paper's y′ ≠ y) */
  labels: string;
}

/** RL's categorical options, checked and narrowed (RL, SalUn and SalUn-soft share them). */
export function rlChoices(name: string, o: RlOptions): { variant: 'sequential' | 'mixed'; labels: 'uniform' | 'wrong' } {
  return { variant: oneOf(name, 'variant', o.variant, ['sequential', 'mixed'] as const), labels: oneOf(name, 'labels', o.labels, ['uniform', 'wrong'] as const) };
}

export async function randomLabelEpochs(ctx: MethodContext<RlOptions>, name: string): Promise<Module> {
  const { model, options, numClasses } = ctx;
  const { variant, labels } = rlChoices(name, options);
  const relabel = (indices: Int32Array, y: Tensor, epoch: number): Tensor => randomLabels(indices, y, numClasses, ctx.seed, epoch, labels);
  const trainer = ctx.trainer();
  try {
    model.train();
    for (let e = 0; e < options.epochs; e++) {
      if (variant === 'sequential') {
        await trainPass(ctx, trainer, ctx.forgetLoader(e), (b) => crossEntropy(model.forward(b.x), relabel(b.indices, b.y, e)), `${name} forget`, e, options.epochs);
        await trainPass(ctx, trainer, ctx.retainLoader(e), (b) => crossEntropy(model.forward(b.x), b.y), `${name} retain`, e, options.epochs);
      } else {
        const mixed = relabelledUnion(ctx, e, relabel);
        try {
          const loader = ctx.loader(mixed, 'mixed', e); // augmented when the run asks for it, as the reference's concatenation keeps its transforms
          await trainPass(ctx, trainer, loader, (b) => crossEntropy(model.forward(b.x), b.y), `${name} mixed`, e, options.epochs);
        } finally {
          mixed.dispose();
        }
      }
    }
  } finally {
    trainer.dispose();
  }
  return model;
}

export const rl: MethodDefinition<RlOptions> = {
  name: 'rl',
  summary: 'random labels on D_f, then fine-tuning on D_r, every epoch',
  reference: 'Unlearn-Saliency RL.py: SGD momentum 0.9, wd 5e-4, batch 256, 10 epochs, lr in 1e-3..1e-1 (0.01 here); labels uniform incl. the true one (quirk, option labels=wrong)',
  defaults: { epochs: 10, lr: 0.01, batchSize: 256, momentum: 0.9, weightDecay: 5e-4, augment: false, variant: 'sequential', labels: 'uniform' },
  usesRetain: true,
  check: (o) => void rlChoices('rl', o),
  run: (ctx) => randomLabelEpochs(ctx, 'rl'),
};
registerMethod(rl);

export const salun: MethodDefinition<RlOptions> = {
  name: 'salun',
  summary: 'SalUn: saliency mask (top 50% of |grad of the forget loss|) + random labelling on the salient weights only',
  reference:
    'Unlearn-Saliency main_random.py + RL.py, README recipe: 10 epochs, lr 0.013, mask 0.5, SGD momentum 0.9, wd 5e-4, batch 256. ' +
    'Non-salient weights are exactly frozen (paper formula; reference fix PR #33); mask mode "grad" reproduces the leaky pre-fix code used for the paper tables.',
  defaults: { epochs: 10, lr: 0.013, batchSize: 256, momentum: 0.9, weightDecay: 5e-4, augment: false, variant: 'sequential', labels: 'uniform' },
  defaultBlocks: { mask: true },
  usesRetain: true,
  check: (o) => void rlChoices('salun', o),
  run: (ctx) => randomLabelEpochs(ctx, 'salun'),
};
registerMethod(salun);
