// Retrain: a fresh model trained from scratch on D_r only — exact unlearning, the gold standard every metric gap
// is measured against (Unlearn-Saliency retrain.py: the original is not loaded, a new init is trained on D_r).
//
// The recipe is the protocol's pretraining recipe (PROTOCOL_RECIPE: SGD 0.1, momentum 0.9, wd 5e-4, batch 256,
// 20 epochs, ×0.1 at epochs 10 and 15), so the retrained model is comparable to the original one; options
// override it, and the milestones scale with the epoch count as resolveRecipe does unless given.
import { manualSeed } from '../../torch/index.js';
import { createModel } from '../../models/registry.js';
import { fit } from '../../train/fit.js';
import { PROTOCOL_RECIPE, type TrainRecipe } from '../../train/recipe.js';
import { type CommonOptions, type MethodDefinition } from '../method.js';
import { oneOf } from '../../util/options.js';
import { registerMethod } from '../registry.js';

const FROM_SCRATCH = 'it trains a fresh model on D_r from scratch';

/** Options of 'retrain' (a fresh model trained on D_r): PROTOCOL_RECIPE's values by default. */
export interface RetrainOptions extends CommonOptions {
  /** 'sgd' (protocol) or 'adam' */
  optimizer: string;
  /** 'multistep' (protocol), 'cosine' (the SalUn paper's retrain) or 'constant' */
  schedule: string;
  /** comma-separated epochs where multistep multiplies the lr by gamma; '' (default) = the protocol's 10,15 scaled to the epoch count */
  milestones: string;
  /** The 'multistep' lr factor, in (0, 1] (default 0.1). */
  gamma: number;
}

/** Parses and checks a milestone list like '10,15' ('' = none given). */
export function parseMilestones(text: string, epochs: number, where: string): number[] | undefined {
  if (text.trim() === '') return undefined;
  const out = text.split(',').map((s) => Number(s.trim()));
  if (out.some((m) => !Number.isInteger(m) || m < 1)) throw new RangeError(`${where}: milestones must be comma-separated positive integers (epochs), got '${text}'`);
  if (out.some((m, i) => i > 0 && m <= out[i - 1]!)) throw new RangeError(`${where}: milestones must be increasing, got '${text}'`);
  if (out.some((m) => m > epochs)) throw new RangeError(`${where}: milestone ${out.find((m) => m > epochs)} is past the last epoch (${epochs})`);
  return out;
}

/** The retrain options checked, the categorical ones narrowed and the milestones parsed. */
function retrainSettings(o: RetrainOptions) {
  if (o.epochs < 1) throw new RangeError(`retrain: epochs must be at least 1, got ${o.epochs}`);
  if (!(o.gamma > 0 && o.gamma <= 1)) throw new RangeError(`retrain: gamma must be in (0, 1], got ${o.gamma}`);
  return {
    optimizer: oneOf('retrain', 'optimizer', o.optimizer, ['sgd', 'adam'] as const),
    schedule: oneOf('retrain', 'schedule', o.schedule, ['multistep', 'cosine', 'constant'] as const),
    milestones: parseMilestones(o.milestones, o.epochs, 'retrain'),
  };
}

export const retrain: MethodDefinition<RetrainOptions> = {
  name: 'retrain',
  summary: 'train a freshly initialised model from scratch on D_r (exact unlearning; the reference every gap is measured against)',
  reference:
    'Unlearn-Saliency retrain.py (fresh init, trained on D_r). Defaults = the protocol pretraining recipe (PROTOCOL_RECIPE): SGD lr 0.1, momentum 0.9, wd 5e-4, batch 256, ' +
    '20 epochs, lr ×0.1 at epochs 10 and 15 (scaled with epochs: the default, empty, milestones), no augmentation; the fresh weights are seeded from the run seed. The paper retrains 182 epochs with cosine lr.',
  defaults: {
    epochs: PROTOCOL_RECIPE.epochs,
    lr: PROTOCOL_RECIPE.lr,
    batchSize: PROTOCOL_RECIPE.batchSize,
    momentum: PROTOCOL_RECIPE.momentum,
    weightDecay: PROTOCOL_RECIPE.weightDecay,
    augment: PROTOCOL_RECIPE.augment,
    optimizer: PROTOCOL_RECIPE.optimizer,
    schedule: PROTOCOL_RECIPE.schedule,
    milestones: '',
    gamma: PROTOCOL_RECIPE.gamma,
  },
  usesRetain: true,
  refusesBlocks: {
    mask: FROM_SCRATCH,
    subspace: FROM_SCRATCH,
    curriculum: `${FROM_SCRATCH}, and never reads D_f`,
  },
  check: (o) => void retrainSettings(o),
  async run(ctx) {
    const { options: o } = ctx;
    const { optimizer, schedule, milestones } = retrainSettings(o);
    const recipe: Partial<TrainRecipe> = {
      epochs: o.epochs,
      lr: o.lr,
      batchSize: o.batchSize,
      momentum: o.momentum,
      weightDecay: o.weightDecay,
      augment: o.augment,
      optimizer,
      schedule,
      gamma: o.gamma,
      ...(milestones ? { milestones } : {}),
    };

    manualSeed(ctx.seed); // the fresh initialisation depends on the run seed only
    const model = createModel(ctx.spec);
    try {
      await fit(model, ctx.retain, {
        recipe,
        seed: ctx.seed,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(ctx.parallelFor ? { parallel: ctx.parallelFor(model) } : {}),
        onBatch: (p) => {
          // tick reports synchronously; its yield and abort check are redundant here (fit yields every 8 batches)
          ctx.tick({ phase: 'retrain', epoch: p.epoch, epochs: p.epochs, batch: p.batch, batches: p.batches, loss: p.loss }).catch(() => undefined);
        },
        onEpoch: (m) => {
          const message = `epoch ${m.epoch}: lr ${m.lr}, loss ${m.trainLoss.toFixed(4)}, train accuracy ${m.trainAccuracy.toFixed(2)}%`;
          ctx.tick({ phase: 'retrain', epoch: m.epoch - 1, epochs: o.epochs, loss: m.trainLoss, message }).catch(() => undefined);
        },
      });
      ctx.checkAbort();
      ctx.reportTrainable([...model.parameters()].reduce((n, p) => n + p.numel(), 0));
      return model;
    } catch (e) {
      model.dispose();
      throw e;
    }
  },
};
registerMethod(retrain);
