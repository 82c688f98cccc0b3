// `lethe bench --jobs N`: the same table, its (method, seed) runs made by N processes at once.
//
// 1. This process trains (or finds) each seed's original and retrain models and writes their records, with all
//    its threads: the workers must not race to train the same model.
// 2. Each run not yet on file is one `lethe bench` worker (--methods M --seed S --seeds 1) with this command's
//    options; N run at once, the threads split between them. A worker writes its run record into <out>/runs/ as a
//    single bench would, and leaves config.json and the tables alone.
// 3. This process makes the table from the files alone, exactly as a rerun of a finished `lethe bench` does.
//
// The results are the runs a single process makes: every run is seeded and independent of the others (the
// determinism tests hold each method to bit-identical weights for a seed).
import { pendingRuns, runBench, type BenchConfig } from './bench.js';
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
    await runBench({ ...cfg, methods: [], seeds }, { ...run, needModels: true, tables: false });

    const jobs = pending.map(({ method, seed }) => ({ label: `${method} s${seed}`, options: { methods: method, seed, seeds: 1 } }));
    await runCommandJobs('bench', o.options, jobs, { jobs: o.jobs, drop: PARENT_ONLY, ...run });
  }
  return runBench({ ...cfg, fresh: false }, run);
}
