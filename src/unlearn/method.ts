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
  /** Passes over the method's data; a non-negative integer. */
  epochs: number;
  /** Learning rate; must be positive unless the method takes no steps (IU's default is 0). */
  lr: number;
  /** Samples per batch; a positive integer. */
  batchSize: number;
  /** SGD momentum / weight decay (references: 0.9 / 5e-4) */
  momentum: number;
  /** SGD weight decay, >= 0. */
  weightDecay: number;
  /** random crop + flip on training batches (the CIFAR references use it; the Fashion-MNIST protocol does not) */
  augment: boolean;
}

/** A progress event; methods report epochs and batches, the runner adds phases. */
export interface ProgressEvent {
  /** What the run is doing ('saliency mask', the method's name, …). */
  phase: string;
  /** The current epoch (as the method counts them). */
  epoch?: number;
  /** The method's epoch count. */
  epochs?: number;
  /** Batches done in the current epoch. */
  batch?: number;
  /** Batches per epoch. */
  batches?: number;
  /** The latest loss (or running mean, as the method reports it). */
  loss?: number;
  /** A human-readable note. */
  message?: string;
}

/** The names of the reusable building blocks (run options, CLI flags and recipe keys alike). */
export type BlockName = 'mask' | 'subspace' | 'curriculum';

/** The reusable building blocks a run may carry (built by the runner from the original model and D_f). */
export interface Blocks {
  /** SalUn's saliency mask: only salient weights train. */
  mask?: SaliencyMask;
  /** SEMU's SVD subspace: only its cores train. */
  subspace?: SvdSubspace;
  /** The forget set split into stages of increasing difficulty. */
  curriculum?: Curriculum;
}

/**
 * What the runner gives a method's run(): the working copy to train, the original, the data, the resolved options and
 * blocks, and helpers that make every method respect the run's blocks, seed, abort signal and data parallelism.
 */
export interface MethodContext<O extends CommonOptions = CommonOptions> {
  /** the working copy the method trains; the method returns it (or another model, e.g. retrain's fresh one) */
  model: Module;
  /** θ_o, read-only: teachers, attack models and anchors read it, nothing writes it */
  original: Module;
  /** the architecture of both, for methods that build a new model */
  spec: ModelSpec;
  /** D_f, the samples to forget. */
  forget: TensorDataset;
  /** D_r, the rest of the training set. */
  retain: TensorDataset;
  /** The model's number of outputs. */
  numClasses: number;
  /** The method's options, defaults filled in and checked. */
  options: O;
  /** The blocks this run built (the trainer already applies mask and subspace). */
  blocks: Blocks;
  /** The run seed; derive per-purpose seeds from it (deriveSeed). */
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

/** An unlearning method, as registerMethod takes it: its name, defaults, the blocks it uses or refuses, and run(). */
export interface MethodDefinition<O extends CommonOptions = CommonOptions> {
  /** The registry name, as a run's `method` and the CLI's --method give it; registerMethod refuses a taken one. */
  name: string;
  /** one line for --help and reports */
  summary: string;
  /** where the defaults come from, and the quirks that are options */
  reference: string;
  /** The options a run starts from; their types are the types a run's options must have. */
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
  /**
   * Unlearns: trains ctx.model (through ctx.trainer()) and returns it, or returns another model (the runner then
   * disposes ctx.model).
   */
  run(ctx: MethodContext<O>): Promise<Module>;
}
