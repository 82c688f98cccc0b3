// The options each registered method takes, by name: what types `unlearn(..., { method: 'ga', options: {...} })`
// so that a misspelt or mistyped option is a compile error in TypeScript (the runner still checks it at run time).
import type { CommonOptions } from './method.js';
import type { BoundaryExpandOptions, BoundaryShrinkOptions } from './methods/boundary.js';
import type { CufgOptions } from './methods/cufg.js';
import type { GaOptions } from './methods/ga.js';
import type { IuOptions } from './methods/iu.js';
import type { L1SparseOptions } from './methods/l1sparse.js';
import type { RetrainOptions } from './methods/retrain.js';
import type { RlOptions } from './methods/rl.js';
import type { SalunSoftOptions } from './methods/salun-soft.js';
import type { ScrubOptions } from './methods/scrub.js';
import type { SemuOptions } from './methods/semu.js';

/** The options of each registered method, by method name: what types a run's `options` when `method` is a literal. */
export interface MethodOptions {
  /** Retraining from scratch on D_r (the reference point). */
  retrain: RetrainOptions;
  /** Fine-tuning on D_r. */
  ft: CommonOptions;
  /** Gradient ascent on D_f. */
  ga: GaOptions;
  /** Random labelling of D_f, with fine-tuning on D_r. */
  rl: RlOptions;
  /** Influence unlearning (one WoodFisher step). */
  iu: IuOptions;
  /** Fine-tuning on D_r with a decaying ℓ1 penalty. */
  'l1-sparse': L1SparseOptions;
  /** Boundary shrinking. */
  bs: BoundaryShrinkOptions;
  /** Boundary expanding. */
  be: BoundaryExpandOptions;
  /** SCRUB: teacher–student distillation away from D_f. */
  scrub: ScrubOptions;
  /** SalUn: random labelling on the salient weights (saliency mask). */
  salun: RlOptions;
  /** SalUn with a soft-thresholded mask that relaxes over the run. */
  'salun-soft': SalunSoftOptions;
  /** SEMU: random labelling in an SVD subspace of the forget gradient. */
  semu: SemuOptions;
  /** UFG: fine-tuning on D_r with the gated forgetting-gradient corrector. */
  ufg: CufgOptions;
  /** CUFG: UFG with an easy-to-hard curriculum over D_f. */
  cufg: CufgOptions;
}

/** A method's options as a run gives them: any subset, over its defaults; an unregistered name takes any record. */
export type OptionsOf<M extends string> = M extends keyof MethodOptions ? Partial<MethodOptions[M]> : Record<string, unknown>;

export type { BoundaryExpandOptions, BoundaryShrinkOptions, CufgOptions, GaOptions, IuOptions, L1SparseOptions, RetrainOptions, RlOptions, SalunSoftOptions, ScrubOptions, SemuOptions };
