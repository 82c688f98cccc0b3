// The paper-style benchmark: per seed, the original and retrain models (trained once and cached under a hash
// of their full configuration), every method with its recipe, evaluated against retrain; then mean ± std.
// Resumable: each finished (method, seed) result is its own file in <out>/runs/, and a rerun skips it.
import { jsonFormat, writeBytesAtomic, writeJsonAtomic } from '../io/artifacts.js';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { ensureDirectory } from '../io/atomic.js';
import { basename, join } from 'node:path';
import { methodNames } from '../unlearn/index.js';
import { evaluateUnlearningAsync, type EvaluationReport } from '../eval/evaluate.js';
import { avgGap, type HeadlineMetrics } from '../eval/gap.js';
import { loadCheckpoint, type CheckpointManifest } from '../train/checkpoint.js';
import type { TrainRecipe } from '../train/recipe.js';
import type { ModelName } from '../models/index.js';
import { configHash, modelDir, stableJson } from './cache.js';
import { describeData, loadData, protocolSets, seedsDescription, type DataConfig, type LoadedData, type ProtocolSets } from './data.js';
import { recipeForMethod, type UnlearnRecipe } from './recipes.js';
import { aggregate, DEFINITIONS, originalSummary, resultsCsv, resultsMarkdown, type ModelDigests, type OriginalAccuracy, type ResultsDoc, type RunRecord } from './results.js';
import { trainCheckpoint, trainIdentity, writtenManifest } from './training.js';
import { isJobWorker } from './job-pool.js';
import { checkMethod, runMethod } from './unlearning.js';
import type { Reporter } from './progress.js';
import { gapAgrees, keepReference, madeWith, readRunRecord, readStoredRun, runHash, runOrDiverge, runRecord, sameMetrics, setAside, storeRun } from './run-store.js';
import { UsageError } from './errors.js';

export interface BenchConfig {
  /** the data; its seed is replaced by each benchmark seed */
  data: DataConfig;
  model: ModelName;
  forget: string;
  methods: string[];
  seeds: number[];
  trainRecipe: TrainRecipe;
  cacheDir: string;
  out: string;
  /** compute every MIA view (slower); default: the confidence view of the tables */
  allMia?: boolean;
  /** recompute finished runs instead of skipping them */
  fresh?: boolean;
  /** per-method recipe overrides (default: recipes/<method>.json, else the method's defaults) */
  recipes?: Record<string, UnlearnRecipe>;
}

export const REFERENCE_METHODS = ['retrain'];

/** 'all' → every registered method but retrain (the reference); 'a,b' → those, checked. */
export function parseMethods(spec: string): string[] {
  if (spec === 'all') return methodNames().filter((m) => !REFERENCE_METHODS.includes(m));
  const list = spec.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new UsageError(`--methods: empty list; use 'all' or names like salun,ft,ga`);
  for (const m of list) {
    if (REFERENCE_METHODS.includes(m)) throw new UsageError(`--methods: '${m}' is the reference every benchmark trains and reports anyway; leave it out`);
    checkMethod(m, '--methods');
  }
  return [...new Set(list)];
}

export interface SeedModels {
  originalDir: string;
  retrainDir: string;
  originalAccuracy: OriginalAccuracy;
  retrainSeconds: number;
  /** the weights themselves: records made with other ones are not reused */
  digests: ModelDigests;
}

const weightsDigest = (m: CheckpointManifest): string => m.weights.sha256.slice(0, 16);

/**
 * Where the cache keeps one seed's original and retrain models (what `lethe train --cache` writes for them), and
 * the training configuration both share (the retrain's adds the forget set).
 */
export function seedModelDirs(cfg: Pick<BenchConfig, 'model' | 'forget' | 'trainRecipe' | 'cacheDir'>, data: DataConfig, seed: number) {
  const base = { data, model: cfg.model, recipe: cfg.trainRecipe, seed };
  return {
    base,
    originalDir: modelDir(cfg.cacheDir, 'original', trainIdentity(base), cfg.model),
    retrainDir: modelDir(cfg.cacheDir, 'retrain', trainIdentity({ ...base, forget: cfg.forget }), cfg.model),
  };
}

/** Trains (or reuses) the original and retrain models of one seed. */
export async function ensureModels(
  cfg: Pick<BenchConfig, 'model' | 'forget' | 'trainRecipe' | 'cacheDir'>,
  data: LoadedData,
  seed: number,
  o: { reporter: Reporter; signal?: AbortSignal },
): Promise<SeedModels> {
  const { base, originalDir, retrainDir } = seedModelDirs(cfg, data.config, seed);
  const cache = { cached: true, reuseOnly: isJobWorker() };
  const orig = await trainCheckpoint({ ...base, dir: originalDir, label: `original (seed ${seed})`, ...cache }, { ...o, data });
  const re = await trainCheckpoint({ ...base, forget: cfg.forget, dir: retrainDir, label: `retrain (seed ${seed})`, ...cache }, { ...o, data });
  const acc = writtenManifest(orig)['accuracy'] as { train: number; val: number; test: number; memorisationGap: number };
  return {
    originalDir,
    retrainDir,
    originalAccuracy: { seed, ...acc },
    retrainSeconds: writtenManifest(re)['seconds'] as number,
    digests: { original: weightsDigest(writtenManifest(orig)), retrain: weightsDigest(writtenManifest(re)) },
  };
}

/** Evaluates a cached model (asynchronously, so that Ctrl-C is seen during the minutes it takes at full scale). */
async function evaluateDir(dir: string, sets: ProtocolSets, reference: HeadlineMetrics | undefined, allMia: boolean, signal?: AbortSignal): Promise<EvaluationReport> {
  const { model } = loadCheckpoint(dir);
  try {
    return await evaluateUnlearningAsync(model, { forget: sets.forget, retain: sets.retain, test: sets.test }, { ...(reference ? { reference } : {}), allMiaViews: allMia, ...(signal ? { signal } : {}) });
  } finally {
    model.dispose();
  }
}

/** Where a benchmark keeps its records: the run files of <out>/runs/, keyed by the configuration and each recipe. */
function benchLayout(cfg: BenchConfig) {
  const runsDir = join(cfg.out, 'runs');
  const recipes = Object.fromEntries(cfg.methods.map((m) => [m, cfg.recipes?.[m] ?? recipeForMethod(m, cfg.forget)]));
  const configRecord = {
    data: { ...cfg.data, seed: undefined },
    model: cfg.model,
    forget: cfg.forget,
    methods: cfg.methods,
    seeds: cfg.seeds,
    trainRecipe: cfg.trainRecipe,
    recipes,
    allMia: cfg.allMia ?? false,
  };
  // Results of another configuration must not be mixed in: key the run files by the configuration.
  const key = configKey(configRecord);
  const runFile = (name: string, seed: number): string => join(runsDir, `${name}-seed${seed}-${key}.json`);
  // A method's run is also keyed by its recipe, so a re-tuned recipe is run again instead of reusing old results.
  const methodRunFile = (method: string, seed: number): string => {
    const r = recipes[method]!;
    return join(runsDir, `${method}-seed${seed}-${key}-${configHash({ options: r.options, blocks: r.blocks ?? {} })}.json`);
  };
  return { runsDir, recipes, configRecord, runFile, methodRunFile };
}

/** What a table may grow by without becoming another configuration. */
const TABLE_GROWS_BY = ['methods', 'seeds', 'recipes'];

/** What makes two tables one configuration: all but what a table may grow by. */
const configKey = (record: Record<string, unknown>): string => configHash(Object.fromEntries(Object.entries(record).filter(([k]) => !TABLE_GROWS_BY.includes(k))));

/**
 * A results directory holds one configuration's table: bench refuses, before any work, to replace the table of
 * another one (other data, model, forget set or training recipe), which would otherwise vanish without a word.
 */
export function refuseOtherConfiguration(cfg: BenchConfig): void {
  const file = join(cfg.out, 'config.json');
  if (!existsSync(file)) return;
  let held: Record<string, unknown>;
  try {
    held = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return; // not ours to judge: refuseForeignResults has looked at the directory
  }
  const { configRecord } = benchLayout(cfg);
  if (configKey(held) === configKey(configRecord)) return;
  const now = configRecord as Record<string, unknown>;
  const differ = Object.keys(now).filter((k) => !TABLE_GROWS_BY.includes(k) && stableJson(held[k]) !== stableJson(now[k]));
  throw new UsageError(
    `--out: '${cfg.out}' holds the table of another configuration (${differ.join(', ') || 'its record'} differ); choose another --out, or remove its config.json and results.* to replace that table`,
  );
}

/** The (method, seed) runs a benchmark has not made yet (all of them with `fresh`), seed by seed. */
export function pendingRuns(cfg: BenchConfig): { method: string; seed: number }[] {
  const { methodRunFile } = benchLayout(cfg);
  return cfg.seeds.flatMap((seed) => cfg.methods.filter((method) => cfg.fresh || readRunRecord(methodRunFile(method, seed)) === null).map((method) => ({ method, seed })));
}

export interface BenchRunOptions {
  reporter: Reporter;
  signal?: AbortSignal;
  /** train (or check) each seed's models even when its every run is on file: `bench --jobs` workers need them */
  needModels?: boolean;
  /** write config.json and the results tables (default true; `bench --jobs` writes them once, at the end) */
  tables?: boolean;
  /** reuse the original's and retrain's records on file even with `fresh` (a `bench --jobs` worker: its parent remade them) */
  reuseReferences?: boolean;
}

export async function runBench(cfg: BenchConfig, o: BenchRunOptions): Promise<ResultsDoc> {
  const { reporter } = o;
  const { runsDir, recipes, configRecord, runFile, methodRunFile } = benchLayout(cfg);
  const tables = o.tables ?? true;
  const freshReferences = (cfg.fresh ?? false) && !(o.reuseReferences ?? false);
  // retrain's numbers go to the cache's reference store too, where `lethe sweep` looks for them
  const referenceProtocol = (seed: number) => ({ data: { ...cfg.data, seed }, model: cfg.model, forget: cfg.forget, trainRecipe: cfg.trainRecipe });
  ensureDirectory(runsDir);
  /**
   * Every record of a seed (original with its accuracy, retrain, each method's current recipe), all made with one
   * pair of models (the same digests where kept, every Avg.Gap against retrain's numbers), or null.
   */
  const finishedSeed = (seed: number): { records: RunRecord[]; accuracy: OriginalAccuracy } | null => {
    const original = readRunRecord(runFile('original', seed));
    const retrain = readRunRecord(runFile('retrain', seed));
    if (original?.accuracy === undefined || retrain === null) return null;
    const records = [original, retrain];
    for (const method of cfg.methods) {
      const r = readRunRecord(methodRunFile(method, seed));
      if (r === null) return null;
      records.push(r);
    }
    const oneSet = records.every((r) => gapAgrees(r, retrain) && (retrain.models === undefined || madeWith(r, retrain.models) !== false));
    if (!oneSet) reporter.log(`seed ${seed}: the runs on file were made with different models; loading the models to tell which runs are current`);
    return oneSet ? { records, accuracy: original.accuracy } : null;
  };
  /**
   * The record in `file` if it was made with these models, else null. One with other digests (the cache rebuilt on
   * another CPU, a model retrained) is moved to runs/stale/ and not reused; one from before the digests were kept is
   * judged by `older` (its numbers against these models'), and gains the digests when it passes.
   */
  const current = async (file: string, label: string, digests: ModelDigests, older: (r: RunRecord) => boolean | Promise<boolean>, fresh = cfg.fresh ?? false): Promise<RunRecord | null> => {
    const r = fresh ? null : readRunRecord(file);
    if (r === null) return null;
    const same = madeWith(r, digests);
    if (same === true) return r;
    if (same === null && (await older(r))) {
      const stamped = { ...r, models: digests };
      writeJsonAtomic(file, stamped);
      return stamped;
    }
    const was = r.models === undefined ? 'its numbers differ from these models\'' : `original ${r.models.original}, retrain ${r.models.retrain}`;
    reporter.log(`${label}: the record on file was made with other models (${was}; these: original ${digests.original}, retrain ${digests.retrain}); moved to ${setAside(file)}`);
    return null;
  };

  const runs: RunRecord[] = [];
  const perSeed: OriginalAccuracy[] = [];
  // the data lines of the first seed, and every seed's sets: the header names the seeds once (see seedsDescription)
  let dataLines: string[] = [];
  const descriptions: string[] = [];
  let classNames: string[] = [];
  for (const seed of cfg.seeds) {
    const data = loadData({ ...cfg.data, seed });
    let sets: ProtocolSets | null = null;
    try {
      sets = protocolSets(data, cfg.forget);
      classNames = data.classNames ? [...data.classNames] : Array.from({ length: data.numClasses }, (_, i) => String(i));
      if (descriptions.length === 0) {
        // written once the forget spec has proved valid, so a rejected run leaves an earlier table's config as it was
        if (tables) writeJsonAtomic(join(cfg.out, 'config.json'), configRecord);
        dataLines = describeData(data).map((l) => l.replace(/^split seed \d+/, `split seeds ${cfg.seeds.join(',')}`));
      }
      descriptions.push(sets.description);
      // A seed whose every run is on file is tabled from the files alone: its models may be long gone from the cache
      // (a new checkout, a cleared cache), and training them again would take as long as the first time.
      const finished = cfg.fresh || o.needModels ? null : finishedSeed(seed);
      if (finished !== null) {
        reporter.log(`seed ${seed}: every run is on file (${runsDir}); the models are not needed`);
        const retrain = finished.records[1]!;
        if (retrain.models !== undefined) keepReference(cfg.cacheDir, referenceProtocol(seed), retrain.models.retrain, retrain, true);
        perSeed.push(finished.accuracy);
        runs.push(...finished.records);
        continue;
      }
      const models = await ensureModels(cfg, data, seed, o);
      const { digests } = models;
      perSeed.push(models.originalAccuracy);
      // each model is evaluated at most once: to check an older record, or to make a new one
      const evaluations = new Map<string, Promise<EvaluationReport>>();
      const evaluated = (dir: string, reference?: HeadlineMetrics): Promise<EvaluationReport> => {
        if (!evaluations.has(dir)) evaluations.set(dir, evaluateDir(dir, sets!, reference, cfg.allMia ?? false, o.signal));
        return evaluations.get(dir)!;
      };

      // Retrain's own metrics (the reference of Avg.Gap), then the original's.
      let retrain = await current(runFile('retrain', seed), `retrain (seed ${seed})`, digests, async (r) => sameMetrics(r, await evaluated(models.retrainDir)), freshReferences);
      if (retrain === null) {
        reporter.log(`retrain (seed ${seed}): evaluating`);
        const r = await evaluated(models.retrainDir);
        retrain = { method: 'retrain', seed, UA: r.UA, RA: r.RA, TA: r.TA, MIA: r.MIA, avgGap: 0, seconds: models.retrainSeconds, timeRatio: 1, trainableShare: 1, perClassTest: r.perClassTest, miaViews: r.miaViews, models: digests };
        writeJsonAtomic(runFile('retrain', seed), retrain);
      }
      const reference: HeadlineMetrics = { UA: retrain.UA, RA: retrain.RA, TA: retrain.TA, MIA: retrain.MIA };
      keepReference(cfg.cacheDir, referenceProtocol(seed), digests.retrain, reference);
      let original = await current(runFile('original', seed), `original (seed ${seed})`, digests, async (r) => sameMetrics(r, await evaluated(models.originalDir, reference)) && gapAgrees(r, reference), freshReferences);
      if (original === null) {
        reporter.log(`original (seed ${seed}): evaluating`);
        const r = await evaluated(models.originalDir, reference);
        original = { method: 'original', seed, UA: r.UA, RA: r.RA, TA: r.TA, MIA: r.MIA, avgGap: avgGap(r, reference), seconds: NaN, timeRatio: NaN, trainableShare: NaN, perClassTest: r.perClassTest, miaViews: r.miaViews, accuracy: models.originalAccuracy, models: digests };
        writeJsonAtomic(runFile('original', seed), original);
      } else if (original.accuracy === undefined) {
        // a record from before the accuracy was kept in it: add it, so the next table needs no models
        original = { ...original, accuracy: models.originalAccuracy };
        writeJsonAtomic(runFile('original', seed), original);
      }
      runs.push(original, retrain);

      for (const method of cfg.methods) {
        const file = methodRunFile(method, seed);
        const done = await current(file, `${method} (seed ${seed})`, digests, (r) => gapAgrees(r, reference));
        if (done !== null) {
          reporter.log(`${method} (seed ${seed}): done before, skipping (${file})`);
          runs.push(done);
          continue;
        }
        const recipe = recipes[method]!;
        const run = { method, forget: cfg.forget, options: recipe.options, blocks: recipe.blocks ?? {}, seed };
        const hash = runHash({ run, data: { ...cfg.data, seed }, model: cfg.model, trainRecipe: cfg.trainRecipe, original: basename(models.originalDir), reference });
        const recipeNote = { tuned: recipe.tuned, file: (recipe as { file?: string | null }).file ?? null };
        const stored = cfg.fresh ? null : readStoredRun(cfg.cacheDir, method, hash, { allMia: cfg.allMia ?? false, models: digests });
        if (stored !== null) {
          // the same run made by a sweep (or another bench folder): its record, under this table's recipe note
          reporter.log(`${method} (seed ${seed}): the same run is in the run store (${hash}), skipping`);
          const record = { ...stored, recipe: recipeNote, models: digests };
          writeJsonAtomic(file, record);
          runs.push(record);
          continue;
        }
        const { model: orig, spec } = loadCheckpoint(models.originalDir);
        try {
          // the blocks too: SalUn's mask ratio is as much a part of its recipe as its lr
          const blocks = recipe.blocks === undefined ? '' : ` blocks ${JSON.stringify(recipe.blocks)}`;
          reporter.log(`${method} (seed ${seed}): ${recipe.tuned ? 'tuned recipe' : 'untuned recipe (method defaults)'} ${JSON.stringify(recipe.options)}${blocks}`);
          const record = await runOrDiverge(seed, run, digests, reporter, async () => {
            const { model, summary } = await runMethod(orig, spec, sets!, run, {
              reporter,
              reference,
              allMiaViews: cfg.allMia ?? false,
              label: `${method} (seed ${seed})`,
              ...(o.signal ? { signal: o.signal } : {}),
            });
            model.dispose();
            return runRecord(seed, summary, models.retrainSeconds, digests);
          });
          const withNote = { ...record, recipe: recipeNote };
          storeRun(cfg.cacheDir, method, hash, withNote);
          writeJsonAtomic(file, withNote);
          runs.push(withNote);
          if (record.diverged === undefined) reporter.log(`${method} (seed ${seed}): UA ${record.UA.toFixed(2)}  RA ${record.RA.toFixed(2)}  TA ${record.TA.toFixed(2)}  MIA ${record.MIA.toFixed(2)}  Avg.Gap ${record.avgGap.toFixed(2)}  ${record.seconds.toFixed(1)} s`);
        } finally {
          orig.dispose();
        }
      }
    } finally {
      sets?.dispose();
      data.dispose();
    }
  }

  const protocol = [
    ...dataLines,
    `forget ${cfg.forget}: ${seedsDescription(descriptions, cfg.seeds)}`,
    `model ${cfg.model}; original and retrain: ${cfg.trainRecipe.epochs} epochs ${cfg.trainRecipe.optimizer} lr ${cfg.trainRecipe.lr} batch ${cfg.trainRecipe.batchSize}; seeds ${cfg.seeds.join(', ')}`,
  ];
  const doc: ResultsDoc = {
    format: 'lethe-results',
    formatVersion: 1,
    created: new Date().toISOString(),
    protocol,
    config: configRecord,
    classNames,
    original: originalSummary(perSeed),
    rows: aggregate(runs, ['original', 'retrain', ...cfg.methods]),
    runs,
    definitions: DEFINITIONS,
  };
  if (tables) {
    writeJsonAtomic(join(cfg.out, 'results.json'), doc);
    writeBytesAtomic(join(cfg.out, 'results.csv'), Buffer.from(resultsCsv(doc)));
    writeBytesAtomic(join(cfg.out, 'results.md'), Buffer.from(resultsMarkdown(doc)));
  }
  return doc;
}

/** The name of a run record bench writes (`ga-seed1-<config>-<recipe>.json`, `retrain-seed2-<config>.json`). */
const RUN_RECORD = /^[a-z0-9-]+-seed\d+-[0-9a-f]+(-[0-9a-f]+)?\.json$/;

/**
 * Removes a results directory's run records (used by `demo`, which always reruns the unlearning), those set aside
 * in runs/stale/ included; any other file a user keeps there stays.
 */
export function clearRuns(out: string): void {
  for (const dir of [join(out, 'runs'), join(out, 'runs', 'stale')]) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir)) if (RUN_RECORD.test(f)) rmSync(join(dir, f), { force: true });
  }
}

/**
 * A results directory is one bench or demo wrote, or a new or empty one: their tables (results.json, .csv, .md) are
 * replaced, so a directory of other files, or a results.json of another format, is refused before any work.
 */
export function refuseForeignResults(out: string): void {
  if (!existsSync(out)) return;
  const entries = readdirSync(out);
  const results = join(out, 'results.json');
  if (existsSync(results)) {
    if (jsonFormat(results) !== 'lethe-results') throw new UsageError(`--out: '${results}' is not a results file Lethe wrote; its tables would be replaced: choose a new or empty --out`);
  } else if (entries.length > 0 && !entries.includes('config.json') && !entries.includes('runs')) {
    throw new UsageError(`--out: '${out}' holds other files (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}), not a results directory; choose a new or empty --out`);
  }
}
