// The run store: every finished unlearning run that bench or sweep makes, as a full record under
// <cache>/runs/<method>-<hash>.json, the hash covering everything that made it (method, options, blocks, seed, data,
// model, the original's and retrain's training recipe, the original checkpoint and the retrain reference). So
// `lethe bench` reuses the run a `lethe sweep` made for the winning value (minutes to hours at full scale) and a
// sweep reuses a bench run, whatever folder either writes its own files to.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/artifacts.js';
import type { HeadlineMetrics } from '../eval/gap.js';
import type { ModelName } from '../models/index.js';
import type { TrainRecipe } from '../train/recipe.js';
import { configHash } from './cache.js';
import type { DataConfig } from './data.js';
import { numberFromJson, type RunRecord } from './results.js';
import type { RunSummary } from './unlearning.js';

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

/** The run's hash: also the suffix of a sweep's trial file names, so a trial and its stored record match by name. */
export function runHash(id: RunIdentity): string {
  return configHash(id);
}

function readJson<T>(path: string): T | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null; // a torn file cannot exist (atomic writes), but a hand-edited one is simply recomputed
  }
}

const RUN_NUMBERS = ['UA', 'RA', 'TA', 'MIA', 'avgGap', 'seconds', 'timeRatio', 'trainableShare'] as const;

/**
 * A finished run's record. JSON has no NaN (the original model has no run time, a diverged metric is NaN), so the
 * nulls it wrote are read back as NaN: otherwise the mean over seeds would count them as zeros.
 */
export function readRunRecord(path: string): RunRecord | null {
  const r = readJson<RunRecord>(path);
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
 * confidence view alone). An unreadable file reads as absent: the run is made again, nothing is lost.
 */
export function readStoredRun(cacheDir: string, method: string, hash: string, o: { allMia: boolean }): RunRecord | null {
  const r = readRunRecord(storeFile(cacheDir, method, hash));
  if (r === null || r.method !== method) return null;
  if (o.allMia && Object.keys(r.miaViews ?? {}).length < 2) return null;
  return r;
}

export function storeRun(cacheDir: string, method: string, hash: string, record: RunRecord): void {
  mkdirSync(join(cacheDir, 'runs'), { recursive: true });
  writeJsonAtomic(storeFile(cacheDir, method, hash), record);
}

/** A finished run's record, as bench tables it and the store keeps it. */
export function runRecord(seed: number, summary: RunSummary, retrainSeconds: number, recipe?: RunRecord['recipe']): RunRecord {
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
    ...(recipe === undefined ? {} : { recipe }),
    miaViews: e.miaViews,
  };
}
