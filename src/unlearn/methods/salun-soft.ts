// SalUn-soft: random labelling (RL) where, instead of a hard saliency mask, every optimizer step is followed by
// an ℓ1-proximal soft threshold of the update Δθ = θ − anchor (research/salun.md §1.4; reference
// Unlearn-Saliency unlearn/RL_pro.py, method RL_proximal).
//
// anchor = all parameters at the start of the current epoch (re-captured every epoch); after each step of epoch e
//   r = floor(maskRatio · (T − (s_e + 1)) / T · n)   (n = #entries; T and s_e count |forget loader| + |retain loader|
//                                                   steps per epoch, the total and those before epoch e, as the reference;
//                                                   the sequential variant adds the retain pass's step index, as its SVHN branch)
//   τ = the r-th smallest |Δθ|
//   θ ← θ − τ where Δθ > τ,  θ + τ where Δθ < −τ,  anchor elsewhere
// so at least r entries end each step exactly at the anchor, and the share of frozen entries decays linearly from
// maskRatio to 0 over the run. The RL part is rl.ts's randomLabelEpochs, unchanged: the proximal step is added by
// wrapping the trainer the method receives, so RL's variants, label rules and the curriculum all carry over.
import { cat, keep, noGrad, tidy, where, type Tensor } from '../../torch/index.js';
import type { Module } from '../../nn/module.js';
import type { MethodContext, MethodDefinition } from '../method.js';
import type { OptimRecipe, UnlearnTrainer } from '../trainer.js';
import { registerMethod } from '../registry.js';
import { randomLabelEpochs, rlChoices, type RlOptions } from './rl.js';

/** Options of 'salun-soft': RL's, and maskRatio in [0, 1] (default 0.5). */
export interface SalunSoftOptions extends RlOptions {
  /** share of entries held at the anchor at the start of the run (reference mask_ratio; 0.5 as the third-party re-run) */
  maskRatio: number;
}

/** All parameters flattened into one vector (a snapshot, owned by the caller). */
function flatten(params: readonly Tensor[]): Tensor {
  return noGrad(() => cat(params.map((p) => p.reshape(-1))));
}

/**
 * The reference's step count in r's formula after the step at `stepInEpoch` of an epoch starting at `epochStart`
 * (reference steps). The mixed variant (CIFAR, Tiny-ImageNet) holds it at the epoch's start for the whole epoch; the
 * sequential one (SVHN) holds it there through the forget pass, then adds the retain pass's own step index i
 * (`epoch·S + i + 1`, i counted from 0 within the retain pass), so r falls step by step there.
 */
export function referenceStepsBefore(variant: 'sequential' | 'mixed', epochStart: number, stepInEpoch: number, forgetSteps: number): number {
  return variant === 'sequential' && stepInEpoch >= forgetSteps ? epochStart + (stepInEpoch - forgetSteps) : epochStart;
}

/** r = floor(maskRatio · (T − (stepsBefore + 1)) / T · n), evaluated in the reference's order. */
export function frozenCount(maskRatio: number, totalSteps: number, stepsBefore: number, n: number): number {
  return Math.trunc(maskRatio * (((totalSteps - (stepsBefore + 1)) / totalSteps) * n));
}

/**
 * The ℓ1-proximal step: soft-thresholds θ − anchor at τ = the r-th smallest |θ − anchor| and writes the result
 * into `params` in place. `anchor` is the flattened anchor (same order as params). r ≤ 0 leaves θ as it is.
 * Returns τ (NaN when r ≤ 0).
 */
export function proximalStep(params: readonly Tensor[], anchor: Tensor, r: number): number {
  if (r <= 0) return NaN;
  return noGrad(() =>
    tidy(() => {
      const theta = flatten(params);
      if (r > theta.numel()) throw new RangeError(`salun-soft: cannot hold ${r} entries of ${theta.numel()} at the anchor`);
      const d = theta.sub(anchor);
      const [tau] = d.abs().kthvalue(r);
      const out = where(d.gt(tau!), theta.sub(tau!), where(d.lt(tau!.neg()), theta.add(tau!), anchor));
      let offset = 0;
      for (const p of params) {
        p.copy_(out.narrow(0, offset, p.numel()).view(p.shape));
        offset += p.numel();
      }
      return tau!.item();
    }),
  );
}

/** Optimizer steps each epoch of randomLabelEpochs will take (one per batch of its passes). */
function stepsPerEpoch(ctx: MethodContext<SalunSoftOptions>): number[] {
  const { options: o } = ctx;
  return Array.from({ length: o.epochs }, (_, e) => {
    if (o.variant === 'sequential') return ctx.forgetLoader(e).length + ctx.retainLoader(e).length;
    const forget = ctx.blocks.curriculum?.subsetAt(e)?.length ?? ctx.forget.size;
    return Math.ceil((forget + ctx.retain.size) / o.batchSize);
  });
}

/**
 * The step counts the reference's r formula uses: len(forget loader) + len(retain loader) per epoch, whatever
 * the variant (the mixed variant's single loader can have one batch fewer; r follows the reference anyway).
 */
function referenceStepsPerEpoch(ctx: MethodContext<SalunSoftOptions>): number[] {
  return Array.from({ length: ctx.options.epochs }, (_, e) => ctx.forgetLoader(e).length + ctx.retainLoader(e).length);
}

/** Running sums: the number of steps before each epoch, and the total. */
function offsets(counts: readonly number[]): { starts: number[]; total: number } {
  const starts: number[] = [];
  let total = 0;
  for (const c of counts) {
    starts.push(total);
    total += c;
  }
  return { starts, total };
}

async function salunSoft(ctx: MethodContext<SalunSoftOptions>): Promise<Module> {
  const { model, options: o } = ctx;
  const { variant } = rlChoices('salun-soft', o);

  const params = [...model.parameters()];
  const n = params.reduce((s, p) => s + p.numel(), 0);
  const perEpoch = stepsPerEpoch(ctx);
  const { starts, total } = offsets(perEpoch);
  const schedule = offsets(referenceStepsPerEpoch(ctx));
  const forgetSteps = Array.from({ length: o.epochs }, (_, e) => ctx.forgetLoader(e).length);
  let step = 0;
  let epoch = -1;
  let anchor: Tensor | null = null;

  const withProximal = (trainer: UnlearnTrainer): UnlearnTrainer =>
    trainer.addHooks({
      beforeStep: () => {
        while (epoch + 1 < perEpoch.length && step >= starts[epoch + 1]!) {
          epoch++;
          anchor?.dispose();
          anchor = keep(flatten(params));
        }
      },
      afterStep: () => {
        const before = referenceStepsBefore(variant, schedule.starts[epoch]!, step - starts[epoch]!, forgetSteps[epoch]!);
        proximalStep(params, anchor!, frozenCount(o.maskRatio, schedule.total, before, n));
        step++;
      },
    });

  try {
    const out = await randomLabelEpochs({ ...ctx, trainer: (recipe?: Partial<OptimRecipe>) => withProximal(ctx.trainer(recipe)) }, 'salun-soft');
    if (step !== total) throw new Error(`salun-soft: internal error: ${step} steps were taken but ${total} were scheduled (the RL loop changed; update stepsPerEpoch)`);
    return out;
  } finally {
    (anchor as Tensor | null)?.dispose();
  }
}

export const salunSoftMethod: MethodDefinition<SalunSoftOptions> = {
  name: 'salun-soft',
  summary: 'SalUn-soft: random labelling with an l1-proximal soft threshold of the update after every step (no hard mask)',
  reference:
    'Unlearn-Saliency RL_pro.py (RL_proximal): anchor re-captured every epoch, r = floor(mask_ratio·(T − (epoch·steps + 1))/T·n) entries held at the anchor, ' +
    'tau = r-th smallest |delta|. mask_ratio is missing from the release\u2019s argument parser; 0.5 as the third-party re-run. RL_pro uses the mixed (concatenated, shuffled) RL variant ' +
    'for CIFAR, so variant defaults to mixed here; SGD momentum 0.9, wd 5e-4, batch 256, 10 epochs, lr 0.013 (SalUn\u2019s README value; the release ships no RL_proximal recipe).',
  defaults: { epochs: 10, lr: 0.013, batchSize: 256, momentum: 0.9, weightDecay: 5e-4, augment: false, variant: 'mixed', labels: 'uniform', maskRatio: 0.5 },
  usesRetain: true,
  refusesBlocks: { subspace: 'it soft-thresholds the weights directly, not the subspace\u2019s cores' },
  check(o) {
    if (!(o.maskRatio >= 0 && o.maskRatio <= 1)) throw new RangeError(`salun-soft: maskRatio must be in [0, 1], got ${o.maskRatio}`);
    rlChoices('salun-soft', o);
  },
  run: salunSoft,
};
registerMethod(salunSoftMethod);
