// A training recipe: optimizer, schedule, batches, augmentation. Plain JSON, stored in checkpoint manifests.
import { FLOAT32_MAX } from '../torch/dtype.js';
import { deepFreeze, refuseUnknownKeys } from '../util/options.js';

/**
 * How fit() trains: optimizer, schedule, batches, augmentation. Plain JSON, stored in checkpoint manifests; see
 * PROTOCOL_RECIPE for the defaults and resolveRecipe for the checks.
 */
export interface TrainRecipe {
  /** Passes over the training set; a positive integer. */
  epochs: number;
  /** Samples per batch; a positive integer. */
  batchSize: number;
  /** SGD (with momentum) or Adam (which ignores momentum). */
  optimizer: 'sgd' | 'adam';
  /** Initial learning rate, positive. */
  lr: number;
  /** SGD momentum, in [0, 1). */
  momentum: number;
  /** L2 weight decay, >= 0. */
  weightDecay: number;
  /** 'multistep' (lr × gamma at each milestone epoch), 'cosine' (to 0 over the run) or 'constant' */
  schedule: 'multistep' | 'cosine' | 'constant';
  /** Epochs (increasing, >= 1) at which 'multistep' multiplies the lr by gamma. */
  milestones: number[];
  /** The 'multistep' factor. */
  gamma: number;
  /** random crop (pad 4) + horizontal flip on training batches */
  augment: boolean;
}

/** PROTOCOL.md's original/retrain recipe: SGD 0.1, momentum 0.9, wd 5e-4, batch 256, 20 epochs, ×0.1 at 10 and 15, no augmentation. */
export const PROTOCOL_RECIPE: Readonly<TrainRecipe> = deepFreeze({
  epochs: 20,
  batchSize: 256,
  optimizer: 'sgd',
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 5e-4,
  schedule: 'multistep',
  milestones: [10, 15],
  gamma: 0.1,
  augment: false,
});

/** Fills a partial recipe from the protocol's, scaling the default milestones to the epoch count when not given. */
export function resolveRecipe(partial: Partial<TrainRecipe> = {}): TrainRecipe {
  refuseUnknownKeys('recipe', partial, Object.keys(PROTOCOL_RECIPE));
  for (const [k, v] of Object.entries(partial)) {
    const expected = PROTOCOL_RECIPE[k as keyof TrainRecipe];
    // ('no' for augment would be truthy, and '20' epochs a string concatenated somewhere)
    const ok = v === undefined || (Array.isArray(expected) ? Array.isArray(v) : typeof v === typeof expected);
    if (!ok) throw new TypeError(`recipe: ${k} must be ${Array.isArray(expected) ? 'an array of epochs' : `a ${typeof expected}`}, got ${JSON.stringify(v)}`);
  }
  const epochs = partial.epochs ?? PROTOCOL_RECIPE.epochs;
  // half and three quarters of the run; for short runs the two can round to the same epoch, which would apply γ twice
  const milestones = partial.milestones ?? (epochs === 20 ? [...PROTOCOL_RECIPE.milestones] : [...new Set([Math.round(epochs / 2), Math.round((3 * epochs) / 4)])]);
  // (a field given as undefined takes the default, as an absent one does)
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const r: TrainRecipe = { ...PROTOCOL_RECIPE, ...given, epochs, milestones };
  if (!Number.isInteger(r.epochs) || r.epochs < 1) throw new RangeError(`recipe: epochs must be a positive integer, got ${r.epochs}`);
  if (!Number.isInteger(r.batchSize) || r.batchSize < 1) throw new RangeError(`recipe: batchSize must be a positive integer, got ${r.batchSize}`);
  if (!(r.lr > 0 && r.lr <= FLOAT32_MAX)) throw new RangeError(`recipe: lr must be positive and within float32's range, got ${r.lr}`);
  if (!(r.momentum >= 0 && r.momentum < 1)) throw new RangeError(`recipe: momentum must be in [0, 1), got ${r.momentum}`);
  if (!(r.weightDecay >= 0 && r.weightDecay <= FLOAT32_MAX)) throw new RangeError(`recipe: weightDecay must be ≥ 0 and within float32's range, got ${r.weightDecay}`);
  if (!['sgd', 'adam'].includes(r.optimizer)) throw new Error(`recipe: optimizer must be 'sgd' or 'adam', got '${r.optimizer}'`);
  if (!r.milestones.every((m, i) => Number.isInteger(m) && m >= 1 && (i === 0 || m > r.milestones[i - 1]!))) {
    throw new RangeError(`recipe: milestones must be increasing positive epochs, got [${r.milestones.join(', ')}]`);
  }
  if (!['multistep', 'cosine', 'constant'].includes(r.schedule)) throw new Error(`recipe: schedule must be multistep, cosine or constant, got '${r.schedule}'`);
  return r;
}
