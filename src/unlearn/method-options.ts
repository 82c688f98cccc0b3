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

export interface MethodOptions {
  retrain: RetrainOptions;
  ft: CommonOptions;
  ga: GaOptions;
  rl: RlOptions;
  iu: IuOptions;
  'l1-sparse': L1SparseOptions;
  bs: BoundaryShrinkOptions;
  be: BoundaryExpandOptions;
  scrub: ScrubOptions;
  salun: RlOptions;
  'salun-soft': SalunSoftOptions;
  semu: SemuOptions;
  ufg: CufgOptions;
  cufg: CufgOptions;
}

/** A method's options as a run gives them: any subset, over its defaults; an unregistered name takes any record. */
export type OptionsOf<M extends string> = M extends keyof MethodOptions ? Partial<MethodOptions[M]> : Record<string, unknown>;

export type { BoundaryExpandOptions, BoundaryShrinkOptions, CufgOptions, GaOptions, IuOptions, L1SparseOptions, RetrainOptions, RlOptions, SalunSoftOptions, ScrubOptions, SemuOptions };
