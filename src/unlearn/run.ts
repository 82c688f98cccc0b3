// Runs one unlearning method on a copy of the original model, with the building blocks the run asks for.
//
//   original ──clone──▶ working copy ──method (in the run's training space)──▶ unlearned model
//
// The original is never modified. The blocks are built first: the saliency mask and the curriculum's scores
// from the original model on D_f, the SVD subspace from the working copy (whose weights it then drives).
// A diverged loss, an abort or any error disposes the copy and leaves the original as it was.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Module } from '../nn/module.js';
import type { TensorDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import type { ModelSpec } from '../models/spec.js';
import type { MaskMode } from '../optim/optimizer.js';
import { crossEntropy, manualSeed, noGrad, tidy } from '../torch/index.js';
import { deriveSeed } from '../data/random.js';
import { accumulateGradients, disposeGradients } from './blocks/gradients.js';
import type { SaliencyMask } from './blocks/saliency.js';
import { buildSaliencyMask } from './saliency-masks.js';
import { streamLoader, UNLEARN_AUGMENT } from './stream-loader.js';
import { SvdSubspace, checkFullRank, subspaceRecord, subspaceSettings, subspaceWeights, type SubspaceOptions, type SubspaceRecord } from './blocks/subspace.js';
import { buildCurriculum, curriculumSettings, type Curriculum, type CurriculumOptions } from './blocks/curriculum.js';
import { checkMaskMode } from '../optim/optimizer.js';
import { BLOCK_CHOICES, BLOCK_DEFAULTS, BLOCK_NAMES, BLOCK_SETTINGS, BLOCK_TITLES, type BlockChoice } from './blocks/settings.js';
import { getMethod } from './registry.js';
import { resolveOptions } from './resolve-options.js';
import type { OptionsOf } from './method-options.js';
import { oneOf, refuseUnknownKeys } from '../util/options.js';
import { type Blocks, type CommonOptions, type MethodContext, type ProgressEvent } from './method.js';
import { UnlearnTrainer, type OptimRecipe } from './trainer.js';
import type { ParallelHooks } from '../train/parallel.js';
import type { Tensor } from '../torch/index.js';

// (resolveOptions lives in its own file so that the blocks can resolve a method's options without the runner)
export { resolveOptions };

/** Settings of the saliency-mask block (SalUn's). Throws a RangeError when ratio is outside (0, 1]. */
export interface MaskBlockOptions {
  /** fraction of all parameter entries kept trainable (SalUn default 0.5) */
  ratio?: number;
  /** 'update' (default): exact freeze; 'grad': the reference's leaky gradient masking (weight decay and momentum move frozen weights) */
  mode?: MaskMode;
  /** a precomputed mask (e.g. loaded from a file: loadMaskFile) instead of computing one; it brings its own ratio */
  precomputed?: SaliencyMask;
  /**
   * Called once with the mask the run computed (never with a precomputed one), before any training: e.g. to save it
   * with saveMaskFile for later runs. The mask is lent: the run frees it when it ends.
   */
  onBuilt?: (mask: SaliencyMask) => void;
}

/** Settings of the SVD-subspace block (SEMU's). */
export interface SubspaceBlockOptions extends SubspaceOptions {
  /** BatchNorm mode while collecting the gradient: 'eval' (default, running statistics untouched) or 'train' (the reference's quirk) */
  bnMode?: BlockChoice<'subspace', 'bnMode'>;
}

/** Options of unlearn(); an unknown key is an error. A run may use a mask or a subspace, not both. */
export interface UnlearnRunOptions<M extends string = string> {
  /** A registered method's name (methodNames() lists them); getMethod throws on an unknown one. */
  method: M;
  /** the method's options (epochs, lr, ...) over its defaults; typed per method (MethodOptions) when `method` is a literal */
  options?: OptionsOf<M>;
  /** add (or, with false, remove) the saliency mask block */
  mask?: MaskBlockOptions | boolean;
  /** Add (or, with false, remove) the SVD-subspace block. */
  subspace?: SubspaceBlockOptions | boolean;
  /** Add (or, with false, remove) the curriculum block. */
  curriculum?: CurriculumOptions | boolean;
  /** Seeds the run's libtorch generator and its data loaders (default 0). */
  seed?: number;
  /** Called with each phase, epoch and batch. */
  progress?: (e: ProgressEvent) => void;
  /** Aborts the run between batches; unlearn then rejects and the original model is untouched. */
  signal?: AbortSignal;
  /**
   * Data-parallel runs (src/distributed): wraps a model (e.g. `(m) => new DistributedDataParallel(m)`). Every rank
   * calls unlearn() with the same arguments; loaders shard each global batch, gradients and D_f gradient sums are
   * averaged over ranks, and the result is the same model on every rank.
   */
  parallel?: (model: Module) => ParallelHooks;
}

const UNLEARN_RUN_KEYS = ['method', 'options', 'mask', 'subspace', 'curriculum', 'seed', 'progress', 'signal', 'parallel'] as const satisfies readonly (keyof UnlearnRunOptions)[];

/** What unlearn() resolves to. The caller owns `model` and disposes it. */
export interface UnlearnResult {
  /** The unlearned model: a new one (the original is unchanged). */
  model: Module;
  /** The method's registered name. */
  method: string;
  /** The options the run used, defaults filled in. */
  options: CommonOptions;
  /**
   * What each block the run used resolved to: the mask's ratio, mode and salient count, the subspace's per-layer ranks,
   * the curriculum's stages.
   */
  blocks: {
    mask?: { ratio: number; mode: MaskMode; salient: number };
    /** the per-layer ranks and the settings that chose them, defaults resolved (a record says which variant ran) */
    subspace?: { ranks: Record<string, number>; trainable: number } & SubspaceRecord;
    curriculum?: { stageSizes: number[]; epochsPerStage: number };
  };
  /** degrees of freedom the method trained */
  trainableParams: number;
  /** wall-clock seconds (blocks included) */
  seconds: number;
  /** Whether the method read D_r. */
  usesRetain: boolean;
}

/**
 * The blocks a run of `method` uses (its defaults, or as asked), every setting checked before any work: a misspelt
 * or out-of-range setting is an error now, not after the gradients and SVDs that come before its use. With the
 * `model`, the settings that name its layers are checked too.
 */
export function runBlocks(method: string, o: Pick<UnlearnRunOptions, 'mask' | 'subspace' | 'curriculum'>, run: { forgetSize: number; epochs?: number; model?: Module }) {
  const def = getMethod(method);
  for (const b of BLOCK_NAMES) {
    const given = o[b];
    // (a precomputed mask and the onBuilt hook are the library's alone: they are no text settings)
    if (typeof given === 'object') refuseUnknownKeys(`${BLOCK_TITLES[b]} block`.replace(/^an? /, ''), given, b === 'mask' ? [...BLOCK_SETTINGS.mask, 'precomputed', 'onBuilt'] : BLOCK_SETTINGS[b]);
  }
  const maskOpts = blockSetting<MaskBlockOptions>(o.mask, def.defaultBlocks?.mask);
  const subspaceOpts = blockSetting<SubspaceBlockOptions>(o.subspace, def.defaultBlocks?.subspace);
  const curriculumOpts = blockSetting<CurriculumOptions>(o.curriculum, def.defaultBlocks?.curriculum);
  const asked = { mask: maskOpts, subspace: subspaceOpts, curriculum: curriculumOpts };
  for (const b of BLOCK_NAMES) {
    const why = def.refusesBlocks?.[b];
    if (asked[b] !== null && why !== undefined) throw new Error(`method '${def.name}' cannot use ${BLOCK_TITLES[b]}: ${why} (drop the ${b} option)`);
  }
  if (maskOpts && subspaceOpts) throw new Error('choose either a saliency mask or an SVD subspace for a run, not both');
  const maskSet = maskOpts ? maskSettings(maskOpts) : null;
  if (subspaceOpts) {
    subspaceSettings(subspaceOpts);
    subspaceBnMode(subspaceOpts);
    if (run.model) checkFullRank(run.model, subspaceOpts.fullRank);
  }
  if (curriculumOpts) {
    const { K, epochsPerStage, partial } = curriculumSettings(curriculumOpts, run.forgetSize);
    // the stages are disjoint thirds (say) of D_f: a stage that starts after the last epoch is never forgotten, which
    // is a mistake unless asked for
    const lastStart = (K - 1) * epochsPerStage;
    if (run.epochs !== undefined && run.epochs <= lastStart && !partial) {
      throw new RangeError(
        `curriculum: its stage ${K} starts at epoch ${lastStart + 1}, after the run's ${run.epochs}, so its forget samples would never be used; give epochs ≥ ${lastStart + 1}, or fewer stages or epochsPerStage, ` +
          `or partial=true to use only the stages the run reaches`,
      );
    }
  }
  return { maskOpts, maskSet, subspaceOpts, curriculumOpts };
}

/** The mask's ratio and mode, checked before the gradient pass that the ratio is applied to. */
function maskSettings(o: MaskBlockOptions): { ratio: number; mode: MaskMode } {
  const ratio = o.ratio ?? BLOCK_DEFAULTS.mask.ratio;
  // a precomputed mask brings its own ratio: one given beside it would be silently ignored, and so would the hook
  if (o.precomputed && o.ratio !== undefined) throw new Error(`saliency mask: ratio ${o.ratio} has no effect with a precomputed mask (it keeps its own ${o.precomputed.ratio}); leave one out`);
  if (o.precomputed && o.onBuilt) throw new Error('saliency mask: onBuilt is never called with a precomputed mask (the run builds none); leave one out');
  if (!o.precomputed && !(ratio > 0 && ratio <= 1)) throw new RangeError(`saliency mask: ratio must be in (0, 1], got ${ratio}`);
  o.precomputed?.checkUsable('saliency mask');
  const mode = o.mode ?? BLOCK_DEFAULTS.mask.mode;
  checkMaskMode(mode, 'saliency mask');
  return { ratio, mode };
}

function blockSetting<T extends object>(given: T | boolean | undefined, byDefault: boolean | undefined): T | null {
  if (given === false) return null;
  if (given === true) return {} as T;
  if (given !== undefined) return given;
  return byDefault ? ({} as T) : null;
}

/**
 * The spec's class count must be the model's number of outputs and cover the data's labels: otherwise random labels
 * would be drawn from the wrong range, or libtorch would stop on a target out of bounds.
 */
function checkClasses(original: Module, spec: ModelSpec, data: { forget: TensorDataset; retain: TensorDataset }): void {
  for (const [name, d] of [['forget', data.forget], ['retain', data.retain]] as const) {
    if (d.size > 0 && d.numClasses > spec.numClasses) throw new RangeError(`the ${name} set has ${d.numClasses} classes, but spec.numClasses is ${spec.numClasses}; give the model's own spec`);
  }
  const wasTraining = original.training;
  original.eval();
  try {
    const batch = new DataLoader(data.forget, { batchSize: 1 }).batch([0]);
    try {
      const width = tidy(() => noGrad(() => original.forward(batch.x).shape[1]));
      if (width !== spec.numClasses) throw new RangeError(`the model has ${width} outputs, but spec.numClasses is ${spec.numClasses}; give the model's own spec`);
    } finally {
      batch.dispose();
    }
  } finally {
    original.train(wasTraining);
  }
}

/** Unlearns D_f from `original`; returns a new model (the caller owns and disposes it). */
export async function unlearn<M extends string>(
  original: Module,
  spec: ModelSpec,
  data: { forget: TensorDataset; retain: TensorDataset },
  o: UnlearnRunOptions<M>,
): Promise<UnlearnResult> {
  refuseUnknownKeys('unlearn', o, UNLEARN_RUN_KEYS);
  original.checkLive('unlearn');
  const def = getMethod(o.method);
  const options = resolveOptions(def.name, def.defaults, o.options);
  const seed = o.seed ?? 0;
  if (data.forget.size === 0) throw new Error('the forget set is empty: nothing to unlearn');
  const usesRetain = typeof def.usesRetain === 'function' ? def.usesRetain(options) : def.usesRetain;
  if (data.retain.size === 0 && usesRetain) throw new Error(`method '${def.name}' needs retain data, but the retain set is empty`);
  checkClasses(original, spec, data);
  const numClasses = spec.numClasses;
  const progress = o.progress ?? (() => {});
  const checkAbort = (): void => o.signal?.throwIfAborted();
  const start = performance.now();
  manualSeed(seed);

  const { maskOpts, maskSet, subspaceOpts, curriculumOpts } = runBlocks(o.method, o, { forgetSize: data.forget.size, epochs: options.epochs, model: original });

  const model = original.clone();
  const blocks: Blocks = {};
  const result: UnlearnResult['blocks'] = {};
  try {
    const par = o.parallel?.(model);
    const originalPar = o.parallel && maskOpts && !maskOpts.precomputed ? o.parallel(original) : undefined;
    const loaderFor =
      (p: ParallelHooks | undefined) =>
      (ds: TensorDataset, stream: string, epoch: number, lo: { batchSize?: number; indices?: Int32Array; augment?: boolean } = {}): DataLoader => {
        const augment = lo.augment ?? options.augment;
        const batchSize = lo.batchSize ?? options.batchSize;
        if (p) {
          return p.loader(ds, { globalBatchSize: batchSize, seed: deriveSeed(seed, stream), epoch, ...(augment ? { augment: UNLEARN_AUGMENT } : {}), ...(lo.indices ? { indices: lo.indices } : {}) });
        }
        return streamLoader(ds, { seed, stream, epoch, batchSize, augment, ...(lo.indices ? { indices: lo.indices } : {}) });
      };
    const loader = loaderFor(par);
    const average = (p: ParallelHooks | undefined) => (p ? (sums: Tensor[]) => p.averageTensors_(sums) : undefined);
    if (maskOpts && maskSet) {
      progress({ phase: 'saliency mask', message: 'gradient of the forget loss over D_f' });
      const { ratio, mode } = maskSet;
      if (maskOpts.precomputed) blocks.mask = maskOpts.precomputed;
      else {
        blocks.mask = buildSaliencyMask(original, loaderFor(originalPar)(data.forget, 'mask', 0), ratio, o.signal, average(originalPar));
        maskOpts.onBuilt?.(blocks.mask);
      }
      result.mask = { ratio: blocks.mask.ratio, mode, salient: blocks.mask.count() };
    }
    if (subspaceOpts) {
      progress({ phase: 'svd subspace', message: 'gradient of the forget loss over D_f, then per-layer SVD' });
      blocks.subspace = buildSubspace(model, loader(data.forget, 'subspace', 0), subspaceOpts, o.signal, average(par));
      result.subspace = { ranks: blocks.subspace.ranks(), trainable: blocks.subspace.trainableCount(), ...subspaceRecord(subspaceOpts) };
    }
    if (curriculumOpts) {
      progress({ phase: 'curriculum', message: 'scoring D_f with the original model' });
      blocks.curriculum = buildCurriculum(original, data.forget, curriculumOpts);
      result.curriculum = { stageSizes: blocks.curriculum.stages.map((s) => s.length), epochsPerStage: blocks.curriculum.epochsPerStage };
    }
    let trainable = 0;
    const ctx: MethodContext = {
      model,
      original,
      spec,
      forget: data.forget,
      retain: data.retain,
      numClasses,
      options,
      blocks,
      seed,
      trainer(recipe: Partial<OptimRecipe> = {}) {
        const t = new UnlearnTrainer(
          model,
          { lr: options.lr, momentum: options.momentum, weightDecay: options.weightDecay, ...recipe },
          {
            ...(blocks.mask && maskSet ? { mask: blocks.mask, maskMode: maskSet.mode } : {}),
            ...(blocks.subspace ? { subspace: blocks.subspace } : {}),
          },
          def.name,
          par,
        );
        trainable = t.trainableCount();
        return t;
      },
      loader,
      retainLoader: (epoch) => loader(data.retain, 'retain', epoch),
      forgetLoader: (epoch) => {
        const subset = blocks.curriculum?.subsetAt(epoch);
        return loader(data.forget, 'forget', epoch, subset ? { indices: subset } : {});
      },
      async tick(event) {
        progress(event);
        await yieldToLoop();
        checkAbort();
      },
      checkAbort,
      ...(o.signal ? { signal: o.signal } : {}),
      reportTrainable(count: number) {
        trainable = count;
      },
      ...(par ? { parallel: par } : {}),
      ...(o.parallel ? { parallelFor: o.parallel } : {}),
    };
    progress({ phase: def.name, message: `running ${def.name}` });
    const out = await def.run(ctx);
    if (out !== model) model.dispose();
    return {
      model: out,
      method: def.name,
      options,
      blocks: result,
      trainableParams: trainable,
      seconds: (performance.now() - start) / 1000,
      usesRetain,
    };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    // blocks this run built are freed here; a precomputed mask stays the caller's
    if (blocks.mask && blocks.mask !== maskOpts?.precomputed) blocks.mask.dispose();
    blocks.subspace?.dispose();
  }
}

function subspaceBnMode(o: SubspaceBlockOptions): BlockChoice<'subspace', 'bnMode'> {
  return oneOf('SEMU subspace', 'bnMode', o.bnMode ?? BLOCK_DEFAULTS.subspace.bnMode, BLOCK_CHOICES.subspace.bnMode, { train: 'the reference' });
}

/** SEMU's subspace from the working copy's conv/linear weight gradients of CE with true labels on D_f. */
export function buildSubspace(model: Module, forget: DataLoader, o: SubspaceBlockOptions, signal?: AbortSignal, allReduce?: (sums: Tensor[]) => void): SvdSubspace {
  const wasTraining = model.training;
  model.train(subspaceBnMode(o) === 'train');
  try {
    const grads = accumulateGradients(model, forget, (b) => crossEntropy(model.forward(b.x), b.y), {
      params: subspaceWeights(model),
      reduce: 'sum',
      ...(signal ? { signal } : {}),
      ...(allReduce ? { allReduce } : {}),
    });
    try {
      return SvdSubspace.fromGradients(model, grads, o);
    } finally {
      disposeGradients(grads);
    }
  } finally {
    model.train(wasTraining);
  }
}

export type { Curriculum };
