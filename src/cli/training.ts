// Training an original model (on D_f ∪ D_r) or a retrain reference (on D_r only) into a checkpoint directory,
// resumable: after every epoch the weights and optimizer state are saved (resume.*), a rerun of the same
// configuration continues from there, and the manifest is written last. A finished directory whose manifest
// matches the configuration is reused as it is.
import { sha256, writeJsonAtomic } from '../io/artifacts.js';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { ensureDirectory } from '../io/atomic.js';
import { join } from 'node:path';
import { createModel, type ModelName, type ModelSpec } from '../models/index.js';
import { fit, type ResumeState } from '../train/fit.js';
import { resolveRecipe, type TrainRecipe } from '../train/recipe.js';
import {
  MANIFEST,
  clearResumeState,
  isCompleteCheckpoint,
  loadResumeState,
  readManifest,
  saveCheckpoint,
  saveResumeState,
  type CheckpointManifest,
} from '../train/checkpoint.js';
import { evaluateSplitAsync } from '../eval/outputs.js';
import { manualSeed, tidy } from '../torch/index.js';
import type { TensorDataset } from '../data/dataset.js';
import { configHash } from './cache.js';
import { differencesClause } from '../util/settings-diff.js';
import { UsageError } from './errors.js';
import { checkpointKind } from './checkpoints.js';
import { dataDigest, indicesFile, loadData, protocolSets, trainSets, type DataConfig, type LoadedData } from './data.js';
import type { Parallel } from './distributed.js';
import type { Reporter } from './progress.js';

const RUN_FILE = 'run.json';

export interface TrainJob {
  dir: string;
  data: DataConfig;
  model: ModelName;
  recipe: TrainRecipe;
  /** seeds the weight initialisation and the batch order (the split seed is data.seed) */
  seed: number;
  /** a forget spec makes this the retrain reference: trained on D_r only */
  forget?: string;
  force?: boolean;
  label?: string;
  /** A model cache's entry (its directory named by the configuration's hash): a damaged one is trained again. */
  cached?: boolean;
  /**
   * A `bench --jobs` or `sweep --jobs` worker's view of the cache: its parent made the models, so a damaged one is an
   * error rather than a retrain (two workers must not race to remake one).
   */
  reuseOnly?: boolean;
}

/** What identifies a trained model: everything that changes its weights. */
export function trainIdentity(job: Omit<TrainJob, 'dir' | 'force' | 'label'>): Record<string, unknown> {
  const id = { kind: job.forget === undefined ? 'original' : 'retrain', data: job.data, model: job.model, recipe: job.recipe, seed: job.seed, forget: job.forget ?? null };
  // an index file names its samples by content: the same path with other indices is another retrain
  const file = job.forget === undefined ? undefined : indicesFile(job.forget);
  return file !== undefined && existsSync(file) ? { ...id, forgetFile: sha256(readFileSync(file)) } : id;
}

export interface TrainOutcome {
  /** the written checkpoint's manifest; null on the ranks other than 0 of a data-parallel job (they write nothing) */
  manifest: CheckpointManifest | null;
  reused: boolean;
  resumedFrom: number;
}


/** What a trained or imported model's manifest says about its data, its split and its accuracy on each part. */
export function dataRecord(
  c: DataConfig,
  data: LoadedData,
  split: { description: string; train: TensorDataset; val: TensorDataset },
  accuracy: { train: number; val: number | null; test: number },
): Record<string, unknown> {
  return {
    dataConfig: c,
    dataDigest: dataDigest(data),
    dataset: { name: data.kind, ...c, numClasses: data.numClasses, classNames: data.classNames ?? null },
    split: { seed: c.seed, valFraction: c.valFraction, description: split.description },
    sizes: { train: split.train.size, val: split.val.size, test: data.test.size },
    accuracy: { ...accuracy, memorisationGap: accuracy.train - accuracy.test },
  };
}

export function modelSpecFor(name: ModelName, d: LoadedData): ModelSpec {
  const spec: ModelSpec = { name, inChannels: d.inChannels, numClasses: d.numClasses, mean: d.mean, std: d.std };
  if (name === 'smallcnn' || name === 'mlp') spec.imageSize = d.imageSize;
  return spec;
}

export async function trainCheckpoint(
  job: TrainJob,
  o: { reporter: Reporter; signal?: AbortSignal; data?: LoadedData; parallel?: Parallel },
): Promise<TrainOutcome> {
  // in a data-parallel job only rank 0 touches the output directory; the other ranks train and compute
  const writer = o.parallel === undefined || o.parallel.isMaster;
  const identity = trainIdentity(job);
  const hash = configHash(identity);
  const { dir } = job;
  const { reporter } = o;
  const label = job.label ?? (job.forget === undefined ? 'train' : 'retrain');

  if (existsSync(join(dir, MANIFEST))) {
    if (isCompleteCheckpoint(dir)) {
      const m = readManifest(dir);
      if (m['configHash'] === hash && !job.force) {
        reporter.log(`${label}: reusing the finished model in ${dir} (same configuration${job.cached ? '' : '; --force retrains'})`);
        return { manifest: m, reused: true, resumedFrom: 0 };
      }
      if (!job.force) {
        throw new UsageError(`--out: '${dir}' already holds a model trained with other settings${differencesClause(m['identity'], identity)}; pass --force to replace it or choose another --out`);
      }
    } else if (job.reuseOnly) {
      throw new Error(`${label}: the cached model in ${dir} fails its hash check (damaged after this command made it); rerun the command to train it again`);
    } else if (job.cached) {
      reporter.log(`${label}: the cached model in ${dir} fails its hash check (a damaged file); training it again`);
    } else if (!job.force) {
      throw new UsageError(`--out: '${dir}' holds ${checkpointKind(dir)}; pass --force to retrain into it or choose another --out`);
    }
    if (writer) rmSync(join(dir, MANIFEST), { force: true }); // from here on the directory is incomplete until the new manifest
  }
  if (writer) ensureDirectory(dir);
  const runPath = join(dir, RUN_FILE);
  if (existsSync(runPath)) {
    let prior: { configHash?: string; identity?: unknown } = {};
    try {
      prior = JSON.parse(readFileSync(runPath, 'utf8')) as { configHash?: string; identity?: unknown };
    } catch {
      prior = {};
    }
    if (prior.configHash !== hash) {
      if (!job.force) throw new UsageError(`--out: '${dir}' holds an interrupted run with other settings${differencesClause(prior.identity, identity)}; pass --force to start over or choose another --out`);
      clearResumeState(dir);
    }
  }
  if (job.force && writer) clearResumeState(dir);
  if (writer) writeJsonAtomic(runPath, { configHash: hash, identity, started: new Date().toISOString() });

  const data = o.data ?? loadData(job.data);
  const sets = job.forget === undefined ? trainSets(data) : null;
  const pset = job.forget === undefined ? null : protocolSets(data, job.forget);
  const trainOn = sets?.train ?? pset!.retain;
  const val = sets?.val ?? pset!.val;
  const spec = modelSpecFor(job.model, data);
  manualSeed(job.seed);
  const model = createModel(spec);
  let resume: ResumeState | null = null;
  try {
    resume = loadResumeState(dir, model);
    if (resume !== null) reporter.log(`${label}: resuming ${dir} after epoch ${resume.epoch} of ${job.recipe.epochs}`);
    reporter.log(
      `${label}: ${spec.name} on ${trainOn.size} images (${job.forget === undefined ? 'D_f ∪ D_r' : `D_r, forget ${job.forget}`}), ` +
        `${job.recipe.epochs} epochs, ${job.recipe.optimizer} lr ${job.recipe.lr}, batch ${job.recipe.batchSize}, seed ${job.seed}`,
    );
    const result = await fit(model, trainOn, {
      recipe: job.recipe,
      seed: job.seed,
      // (no validation part with --val-fraction 0)
      ...(val.size > 0 ? { validation: val } : {}),
      ...(resume === null ? {} : { resume }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
      ...(o.parallel === undefined ? {} : { parallel: o.parallel.wrap(model) }),
      onBatch: (p) =>
        reporter.update({
          label,
          detail: `epoch ${p.epoch + 1}/${p.epochs}`,
          done: p.epoch * p.batches + p.batch,
          total: p.epochs * p.batches,
          loss: p.loss,
          imagesPerSecond: p.imagesPerSecond,
        }),
      onEpoch: (m) => {
        reporter.done();
        reporter.log(
          `${label}: epoch ${m.epoch}/${job.recipe.epochs}  loss ${m.trainLoss.toFixed(4)}  train acc ${m.trainAccuracy.toFixed(2)}%` +
            `${m.valAccuracy === undefined ? '' : `  val acc ${m.valAccuracy.toFixed(2)}%`}  ${m.seconds.toFixed(1)} s`,
        );
      },
      // (fit disposes the state's tensors after the call)
      onCheckpoint: (state) => tidy(() => saveResumeState(dir, model, state)),
    });
    if (!writer) return { manifest: null, reused: false, resumedFrom: resume?.epoch ?? 0 };
    // (asynchronous, so that Ctrl-C is seen during the minute or two a full-scale evaluation takes; the resume state
    // of the last epoch is on disk, so a rerun only evaluates and saves)
    const stoppable = o.signal === undefined ? {} : { signal: o.signal };
    const trainAcc = (await evaluateSplitAsync(model, trainOn, stoppable)).accuracy;
    const valAcc = val.size > 0 ? (await evaluateSplitAsync(model, val, stoppable)).accuracy : null;
    const testAcc = (await evaluateSplitAsync(model, data.test, stoppable)).accuracy;
    const seconds = result.history.reduce((a, h) => a + h.seconds, 0);
    const manifest = tidy(() =>
      saveCheckpoint(dir, model, spec, {
        kind: job.forget === undefined ? 'original' : 'retrain',
        configHash: hash,
        identity,
        ...dataRecord(job.data, data, { description: sets?.description ?? pset!.description, train: trainOn, val }, { train: trainAcc, val: valAcc, test: testAcc }),
        ...(job.forget === undefined ? {} : { forget: job.forget, forgetDigest: pset!.forgetDigest }),
        seed: job.seed,
        recipe: result.recipe,
        history: result.history,
        seconds,
      }),
    );
    clearResumeState(dir);
    rmSync(runPath, { force: true });
    return { manifest, reused: false, resumedFrom: resume?.epoch ?? 0 };
  } finally {
    resume?.optimizer.state.forEach((t) => t.dispose());
    if (!model.isDisposed) model.dispose();
    sets?.dispose();
    pset?.dispose();
    if (o.data === undefined) data.dispose();
  }
}

export function recipeFrom(base: Partial<TrainRecipe>): TrainRecipe {
  try {
    return resolveRecipe(base);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The manifest of a checkpoint this process wrote (bench and single-process paths always write). */
export function writtenManifest(o: TrainOutcome): CheckpointManifest {
  if (o.manifest === null) throw new Error('internal error: no checkpoint was written by this process');
  return o.manifest;
}
