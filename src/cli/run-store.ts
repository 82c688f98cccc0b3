// The run store: every finished unlearning run that bench or sweep makes, as a full record under
// <cache>/runs/<method>-<hash>.json, the hash covering everything that made it (method, options, blocks, seed, data,
// model, the original's and retrain's training recipe, the original checkpoint and the retrain reference). So
// `lethe bench` reuses the run a `lethe sweep` made for the winning value (minutes to hours at full scale) and a
// sweep reuses a bench run, whatever folder either writes its own files to.
import { existsSync, renameSync } from 'node:fs';
import { ensureDirectory } from '../io/atomic.js';
import { basename, dirname, join } from 'node:path';
import { readJsonObject, writeJsonAtomic } from '../io/artifacts.js';
import { avgGap, HEADLINE_KEYS, type HeadlineMetrics } from '../eval/gap.js';
import type { ModelName } from '../models/index.js';
import type { TrainRecipe } from '../train/recipe.js';
import { configHash } from './cache.js';
import type { DataConfig } from './data.js';
import { numberFromJson, type ModelDigests, type RunRecord } from './results.js';
import type { RunSummary } from './unlearning.js';
import type { Reporter } from './progress.js';
import { getMethod, NonFiniteLossError } from '../unlearn/index.js';
import { NonFiniteOutputError } from '../eval/outputs.js';
import { MIA_FEATURES } from '../eval/mia.js';

export interface RunIdentity {
  run: { method: string; forget: string; options: Record<string, unknown>; blocks: unknown; seed: number };
  /** with the seed of the run */
  data: DataConfig;
  model: ModelName;
  trainRecipe: TrainRecipe;
  /** the original checkpoint's cache directory name (itself a hash of its configuration) */
  original: string;
  reference: HeadlineMetrics;
}

/**
 * The run's hash: also the suffix of a sweep's trial file names, so a trial and its stored record match by name. A
 * method's revision above 1 enters it, so a run made by the code before that change is not reused.
 */
export function runHash(id: RunIdentity): string {
  const revision = getMethod(id.run.method).revision ?? 1;
  return configHash(revision > 1 ? { ...id, revision } : id);
}

const RUN_NUMBERS = ['UA', 'RA', 'TA', 'MIA', 'avgGap', 'seconds', 'timeRatio', 'trainableShare'] as const;

/**
 * A finished run's record. JSON has no NaN (the original model has no run time, a diverged metric is NaN), so the
 * nulls it wrote are read back as NaN: otherwise the mean over seeds would count them as zeros.
 */
export function readRunRecord(path: string): RunRecord | null {
  // a torn file cannot exist (atomic writes), but a hand-edited one (not JSON, or a bare value) is simply recomputed
  const r = readJsonObject(path) as RunRecord | null;
  if (r === null) return null;
  const loose = r as unknown as Record<(typeof RUN_NUMBERS)[number], number | null>;
  for (const k of RUN_NUMBERS) loose[k] = numberFromJson(loose[k]);
  r.perClassTest = Array.isArray(r.perClassTest) ? (r.perClassTest as (number | null)[]).map(numberFromJson) : [];
  return r;
}

function storeFile(cacheDir: string, method: string, hash: string): string {
  return join(cacheDir, 'runs', `${method}-${hash}.json`);
}

/**
 * The stored record of this run, or null. `allMia`: only a record with every MIA view will do (a sweep scores the
 * confidence view alone). `models`: a record made with other weights does not count (the hash names the original
 * by its configuration, and covers retrain's metrics, not the original's weights). An unreadable file reads as
 * absent: the run is made again, nothing is lost.
 */
export function readStoredRun(cacheDir: string, method: string, hash: string, o: { allMia: boolean; models: ModelDigests }): RunRecord | null {
  const r = readRunRecord(storeFile(cacheDir, method, hash));
  if (r === null || r.method !== method) return null;
  // (a sweep's record names every view too, the ones it did not score as null)
  if (o.allMia && !MIA_FEATURES.every((f) => typeof r.miaViews?.[f] === 'number')) return null;
  if (madeWith(r, o.models) === false) return null;
  return r;
}

/** Whether a record was made with these models, by its digests; null for a record that predates them. */
export function madeWith(r: { models?: ModelDigests | undefined }, d: ModelDigests): boolean | null {
  const m = r.models;
  if (m === undefined || m === null) return null;
  return m.original === d.original && m.retrain === d.retrain;
}

const sameNumber = (a: number, b: number, tol: number): boolean => (Number.isNaN(a) ? Number.isNaN(b) : Math.abs(a - b) <= tol);

/**
 * For a record without digests: whether its Avg.Gap is the one these retrain metrics give. Another retrain model
 * moves them by at least one image (0.01 points of TA at 10,000 test images), far beyond the tolerance.
 */
export function gapAgrees(r: RunRecord, reference: HeadlineMetrics): boolean {
  return sameNumber(r.avgGap, avgGap(r, reference), 1e-6);
}

/** For an original's or retrain's record without digests: whether evaluating the model now gives its numbers. */
export function sameMetrics(a: HeadlineMetrics, b: HeadlineMetrics): boolean {
  return HEADLINE_KEYS.every((k) => sameNumber(a[k], b[k], 1e-9));
}

/**
 * Moves a record made with other models out of the way, into `stale/` beside it, under a free name: it is not mixed
 * with runs on these models, and nothing is lost. Returns where it went.
 */
export function setAside(file: string): string {
  const dir = join(dirname(file), 'stale');
  ensureDirectory(dir);
  const name = basename(file, '.json');
  let to = join(dir, `${name}.json`);
  for (let i = 2; existsSync(to); i++) to = join(dir, `${name}-${i}.json`);
  renameSync(file, to);
  return to;
}

const referenceFile = (cacheDir: string, protocol: ReferenceProtocol): string => join(cacheDir, 'references', `retrain-${configHash(protocol)}.json`);

/**
 * The retrain metrics kept for this protocol, with the digest of the retrain model they were measured on, or null
 * when none are kept (or the file is damaged). Read without the model, so that a sweep whose every trial is on file
 * can be scored on a machine that no longer has the models.
 */
export function keptReference(cacheDir: string, protocol: ReferenceProtocol): { retrain: string; metrics: HeadlineMetrics } | null {
  return readReference(referenceFile(cacheDir, protocol));
}

function readReference(file: string): { retrain: string; metrics: HeadlineMetrics } | null {
  const kept = readJsonObject(file) as { retrain?: unknown; metrics?: Partial<Record<keyof HeadlineMetrics, unknown>> } | null;
  const m = kept?.metrics;
  if (typeof kept?.retrain !== 'string' || !(typeof m?.UA === 'number' && typeof m.RA === 'number' && typeof m.TA === 'number' && typeof m.MIA === 'number')) return null;
  return { retrain: kept.retrain, metrics: { UA: m.UA, RA: m.RA, TA: m.TA, MIA: m.MIA } };
}

/** The protocol retrain's reference metrics are measured on: its sets, and the configuration that trained it. */
export interface ReferenceProtocol {
  /** with the seed */
  data: DataConfig;
  model: ModelName;
  forget: string;
  trainRecipe: TrainRecipe;
}

/**
 * Retrain's headline metrics (the confidence MIA view, as a sweep scores) on this protocol's sets: from
 * <cache>/references/ when this retrain model was evaluated on these sets before, else from `evaluate`, then kept.
 * A sweep needs them before it can even name its trials, and at full scale evaluating retrain over 64,000 images
 * takes one to two minutes: every `sweep --jobs` worker, and every rerun, paid that again. `fresh` evaluates anew
 * (as `--fresh` remakes bench's reference records): after a change to the evaluation code, as for every other record.
 * The file is named by the protocol and holds the digest of the retrain it measured (`retrain`): a retrain trained
 * again (a cache rebuilt on another CPU gives other weights) is evaluated, and its numbers replace the old ones.
 */
export async function storedReference(cacheDir: string, protocol: ReferenceProtocol, retrain: string, fresh: boolean, evaluate: () => Promise<HeadlineMetrics>): Promise<HeadlineMetrics> {
  const file = referenceFile(cacheDir, protocol);
  const kept = fresh ? null : readReference(file);
  if (kept !== null && kept.retrain === retrain) return kept.metrics;
  const metrics = await evaluate();
  keepReference(cacheDir, protocol, retrain, metrics);
  return metrics;
}

/**
 * Keeps retrain's headline metrics for this protocol, measured on the retrain model with digest `retrain`, in
 * <cache>/references/ (replacing what was kept for the protocol). bench keeps the numbers of each retrain it
 * evaluates, so that a later sweep on the same models (or on their trials alone) does not evaluate retrain again.
 * `unlessKept`: only when nothing readable is kept for the protocol yet (bench tabling an old record, whose retrain
 * may not be the cache's).
 */
export function keepReference(cacheDir: string, protocol: ReferenceProtocol, retrain: string, metrics: HeadlineMetrics, unlessKept = false): void {
  const file = referenceFile(cacheDir, protocol);
  const kept = readReference(file);
  if (kept !== null && (unlessKept || (kept.retrain === retrain && sameMetrics(kept.metrics, metrics)))) return;
  ensureDirectory(dirname(file));
  writeJsonAtomic(file, { retrain, metrics: { UA: metrics.UA, RA: metrics.RA, TA: metrics.TA, MIA: metrics.MIA } });
}

export function storeRun(cacheDir: string, method: string, hash: string, record: RunRecord): void {
  ensureDirectory(join(cacheDir, 'runs'));
  writeJsonAtomic(storeFile(cacheDir, method, hash), record);
}

/**
 * Whether an error says that the run diverged (a NaN or infinite loss, or outputs that overflowed), which is a
 * result (the lr is past the method's cliff), not a mistake in the request.
 */
function isDivergence(e: unknown): e is Error {
  return e instanceof NonFiniteLossError || e instanceof NonFiniteOutputError;
}

/** The record of a run that diverged: every number NaN, so it ranks last in a table and a sweep passes over it. */
function divergedRecord(seed: number, run: { method: string; options: Record<string, unknown>; blocks: unknown }, why: Error, models: ModelDigests): RunRecord {
  return {
    method: run.method,
    seed,
    UA: NaN,
    RA: NaN,
    TA: NaN,
    MIA: NaN,
    avgGap: NaN,
    seconds: NaN,
    timeRatio: NaN,
    trainableShare: NaN,
    perClassTest: [],
    options: run.options,
    blocks: run.blocks,
    diverged: why.message,
    models,
  };
}

/**
 * Makes a run's record with `make`; a run that diverges is a result too (the lr is past the method's cliff): its
 * record says so, with every number NaN, and a table or a sweep goes on with the next run.
 */
export async function runOrDiverge(
  seed: number,
  run: { method: string; options: Record<string, unknown>; blocks: unknown },
  models: ModelDigests,
  reporter: Reporter,
  make: () => Promise<RunRecord>,
): Promise<RunRecord> {
  try {
    return await make();
  } catch (e) {
    if (!isDivergence(e)) throw e;
    reporter.log(`${run.method} (seed ${seed}): diverged, recorded without metrics (it ranks last): ${e.message}`);
    return divergedRecord(seed, run, e, models);
  }
}

/** A finished run's record, as bench tables it and the store keeps it. */
export function runRecord(seed: number, summary: RunSummary, retrainSeconds: number, models: ModelDigests): RunRecord {
  const e = summary.evaluation;
  return {
    method: summary.method,
    seed,
    UA: e.UA,
    RA: e.RA,
    TA: e.TA,
    MIA: e.MIA,
    avgGap: e.avgGap ?? NaN,
    seconds: summary.seconds,
    timeRatio: summary.seconds / retrainSeconds,
    trainableShare: summary.trainableShare,
    perClassTest: e.perClassTest,
    options: summary.options,
    blocks: summary.blocks,
    miaViews: e.miaViews,
    models,
  };
}
