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
    await trainModelsInJobs(cfg, seeds, o);
    await runBench({ ...cfg, methods: [], seeds }, { ...run, needModels: true, tables: false });

    const jobs = pending.map(({ method, seed }) => ({ label: `${method} s${seed}`, options: { methods: method, seed, seeds: 1 } }));
    await runCommandJobs('bench', o.options, jobs, { jobs: o.jobs, drop: PARENT_ONLY, ...run });
  }
  return runBench({ ...cfg, fresh: false }, run);
}

/** The bench options a `lethe train --cache` worker takes: what decides the original's and retrain's weights. */
const TRAIN_KEYS = ['data', 'dataDir', 'trainSize', 'testSize', 'model', 'epochs', 'lr', 'batchSize', 'momentum', 'weightDecay', 'optimizer', 'schedule', 'milestones', 'augment', 'cacheDir', 'quiet'];

/**
 * Trains the seeds' original and retrain models that are not finished in the cache, each in a worker of its own, so
 * that one seed's two models (on 2 cores, the slowest part of a benchmark at full scale) train side by side.
 */
async function trainModelsInJobs(cfg: BenchConfig, seeds: readonly number[], o: { jobs: number; options: RawOptions; reporter: Reporter; signal?: AbortSignal }): Promise<void> {
  const items = seeds.flatMap((seed) => {
    const { originalDir, retrainDir } = seedModelDirs(cfg, { ...cfg.data, seed }, seed);
    return [
      ...(isCompleteCheckpoint(originalDir) ? [] : [{ label: `original s${seed}`, options: { seed, cache: true } }]),
      ...(isCompleteCheckpoint(retrainDir) ? [] : [{ label: `retrain s${seed}`, options: { seed, cache: true, forget: cfg.forget } }]),
    ];
  });
  const options = { ...Object.fromEntries(Object.entries(o.options).filter(([k]) => TRAIN_KEYS.includes(k))), cacheDir: cfg.cacheDir };
  await runCommandJobs('train', options, items, { jobs: o.jobs, drop: [], reporter: o.reporter, ...(o.signal ? { signal: o.signal } : {}) });
}
