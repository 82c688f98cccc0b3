// What an unlearning method is, and what it is given.
import type { Module } from '../nn/module.js';
import type { TensorDataset } from '../data/dataset.js';
import type { DataLoader } from '../data/loader.js';
import type { ModelSpec } from '../models/spec.js';
import type { SaliencyMask } from './blocks/saliency.js';
import type { SvdSubspace } from './blocks/subspace.js';
import type { Curriculum } from './blocks/curriculum.js';
import type { OptimRecipe, UnlearnTrainer } from './trainer.js';
import type { ParallelHooks } from '../train/parallel.js';

/** Options every method understands (each method documents its own defaults). */
export interface CommonOptions {
  epochs: number;
  lr: number;
  batchSize: number;
  /** SGD momentum / weight decay (references: 0.9 / 5e-4) */
  momentum: number;
  weightDecay: number;
  /** random crop + flip on training batches (the CIFAR references use it; the Fashion-MNIST protocol does not) */
  augment: boolean;
}

/** A progress event; methods report epochs and batches, the runner adds phases. */
export interface ProgressEvent {
  phase: string;
  epoch?: number;
  epochs?: number;
  batch?: number;
  batches?: number;
  loss?: number;
  message?: string;
}

/** The names of the reusable building blocks (run options, CLI flags and recipe keys alike). */
export type BlockName = 'mask' | 'subspace' | 'curriculum';

/** The reusable building blocks a run may carry (built by the runner from the original model and D_f). */
export interface Blocks {
  mask?: SaliencyMask;
  subspace?: SvdSubspace;
  curriculum?: Curriculum;
}

export interface MethodContext<O extends CommonOptions = CommonOptions> {
  /** the working copy the method trains; the method returns it (or another model, e.g. retrain's fresh one) */
  model: Module;
  /** θ_o, read-only: teachers, attack models and anchors read it, nothing writes it */
  original: Module;
  /** the architecture of both, for methods that build a new model */
  spec: ModelSpec;
  forget: TensorDataset;
  retain: TensorDataset;
  numClasses: number;
  options: O;
  blocks: Blocks;
  seed: number;
  /** a trainer in the run's training space (mask / subspace) with the method's optimizer recipe */
  trainer(recipe?: Partial<OptimRecipe>): UnlearnTrainer;
  /**
   * A shuffled loader over `data` for one epoch, seeded by the run seed and `stream`, with the run's batch size
   * and augmentation unless overridden; in data-parallel runs, this rank's shard of it.
   */
  loader(data: TensorDataset, stream: string, epoch: number, o?: { batchSize?: number; indices?: Int32Array; augment?: boolean }): DataLoader;
  /** a shuffled training loader over D_r */
  retainLoader(epoch: number): DataLoader;
  /** a shuffled training loader over D_f, or over the curriculum's stage subset when a curriculum is set */
  forgetLoader(epoch: number): DataLoader;
  /** reports progress and yields to the event loop; throws if the run was aborted */
  tick(event: ProgressEvent): Promise<void>;
  /** throws an AbortError if the run was aborted */
  checkAbort(): void;
  /** the run's abort signal, for long calls that take one (e.g. fit) */
  signal?: AbortSignal;
  /** reports the degrees of freedom a method changed when it does not train through ctx.trainer() (retrain, IU) */
  reportTrainable(count: number): void;
  /** data-parallel runs: the hooks of the working model (rank, gradient/tensor averaging) */
  parallel?: ParallelHooks;
  /** data-parallel runs: hooks for another model a method builds (retrain's fresh one) */
  parallelFor?: (model: Module) => ParallelHooks;
}

export interface MethodDefinition<O extends CommonOptions = CommonOptions> {
  name: string;
  /** one line for --help and reports */
  summary: string;
  /** where the defaults come from, and the quirks that are options */
  reference: string;
  defaults: O;
  /** the blocks this method uses by default (e.g. salun: mask) */
  defaultBlocks?: Partial<Record<BlockName, boolean>>;
  /**
   * The blocks this method cannot use, each with the reason a user who asks for one is told. The runner refuses
   * them before any work (a block this method would ignore, such as a curriculum over D_f for a method that never
   * reads D_f, is refused too, rather than recorded as if it had been used).
   */
  refusesBlocks?: Partial<Record<BlockName, string>>;
  /** whether the method reads D_r (reported; GA does not, SEMU only with useRetain) */
  usesRetain: boolean | ((options: O) => boolean);
  /** the option the papers tune per setting (`lethe sweep` default): 'lr' unless the method has none (IU: alpha) */
  tunedOption?: keyof O & string;
  /**
   * Raised when a change of the code changes the method's results at unchanged options (absent: 1), so runs kept
   * from before (the run store, sweep trials) are not taken for runs of the current code.
   */
  revision?: number;
  /**
   * Checks the method's own options (after the common ones: lr, momentum, weight decay) before any work, so a bad
   * value is an error before a mask or a subspace is built; run() may rely on it.
   */
  check?(options: O): void;
  run(ctx: MethodContext<O>): Promise<Module>;
}
