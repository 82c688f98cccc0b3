// `lethe bench --jobs N`: the same table, its (method, seed) runs made by N processes at once.
//
// 1. Each seed's original and retrain models not yet in the cache are trained first, N at a time, each by a
//    `lethe train --cache` worker with this command's data, model and training flags (one worker per model, so none
//    races another to train it). Then this process finds them and writes their records.
// 2. Each run not yet on file is one `lethe bench` worker (--methods M --seed S --seeds 1) with this command's
//    options; N run at once, the threads split between them. A worker writes its run record into <out>/runs/ as a
//    single bench would, and leaves config.json and the tables alone.
// 3. This process makes the table from the files alone, exactly as a rerun of a finished `lethe bench` does.
//
// The results are the runs a single process makes: every run is seeded and independent of the others (the
// determinism tests hold each method to bit-identical weights for a seed).
import { pendingRuns, runBench, seedModelDirs, type BenchConfig } from './bench.js';
import { isCompleteCheckpoint } from '../train/checkpoint.js';
import { runCommandJobs } from './job-pool.js';
import type { RawOptions } from './options.js';
import type { Reporter } from './progress.js';
import type { ResultsDoc } from './results.js';

/** The options a worker must not inherit: its own run is given instead, and it writes no JSON to stdout. */
const PARENT_ONLY = ['jobs', 'json', 'methods', 'seed', 'seeds'];

export async function runBenchInJobs(
  cfg: BenchConfig,
  o: { jobs: number; options: RawOptions; reporter: Reporter; signal?: AbortSignal },
): Promise<ResultsDoc> {
  const { reporter } = o;
  const run = { reporter, ...(o.signal ? { signal: o.signal } : {}) };
  const pending = pendingRuns(cfg);
  if (pending.length > 0) {
    const seeds = [...new Set(pending.map((p) => p.seed))];
    await trainModelsInJobs(cfg, seeds, { ...o, trainKeys: BENCH_TRAIN_KEYS });
    await runBench({ ...cfg, methods: [], seeds }, { ...run, needModels: true, tables: false });

    const jobs = pending.map(({ method, seed }) => ({ label: `${method} s${seed}`, options: { methods: method, seed, seeds: 1 } }));
    await runCommandJobs('bench', o.options, jobs, { jobs: o.jobs, drop: PARENT_ONLY, ...run });
  }
  return runBench({ ...cfg, fresh: false }, run);
}

/** The data, model and cache options a `lethe train --cache` worker takes from a bench or a sweep. */
const DATA_KEYS = ['data', 'dataDir', 'trainSize', 'testSize', 'model', 'cacheDir', 'quiet'];
/** bench's training flags, all of them the original's and retrain's (sweep has only epochs, batchSize, milestones). */
export const BENCH_TRAIN_KEYS = ['epochs', 'lr', 'batchSize', 'momentum', 'weightDecay', 'optimizer', 'schedule', 'milestones', 'augment'];

/**
 * Trains the seeds' original and retrain models that are not finished in the cache, each by a `lethe train --cache`
 * worker of its own, `jobs` at a time, so that a seed's two models (on 2 cores, the slowest part of a benchmark at
 * full scale) train side by side; no two workers train one model. `trainKeys` names the command's options that set
 * the training recipe, so that the workers' models are the ones the command looks for.
 */
export async function trainModelsInJobs(
  cfg: Pick<BenchConfig, 'data' | 'model' | 'forget' | 'trainRecipe' | 'cacheDir'>,
  seeds: readonly number[],
  o: { jobs: number; options: RawOptions; trainKeys: readonly string[]; reporter: Reporter; signal?: AbortSignal },
): Promise<void> {
  const items = seeds.flatMap((seed) => {
    const { originalDir, retrainDir } = seedModelDirs(cfg, { ...cfg.data, seed }, seed);
    return [
      ...(isCompleteCheckpoint(originalDir) ? [] : [{ label: `original s${seed}`, options: { seed, cache: true } }]),
      ...(isCompleteCheckpoint(retrainDir) ? [] : [{ label: `retrain s${seed}`, options: { seed, cache: true, forget: cfg.forget } }]),
    ];
  });
  const keys = [...DATA_KEYS, ...o.trainKeys];
  const options = { ...Object.fromEntries(Object.entries(o.options).filter(([k]) => keys.includes(k))), cacheDir: cfg.cacheDir };
  await runCommandJobs('train', options, items, { jobs: o.jobs, drop: [], reporter: o.reporter, ...(o.signal ? { signal: o.signal } : {}) });
}
