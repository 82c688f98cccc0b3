// lethe bench: every method vs retrain over seeds; results.json, results.csv, results.md and the terminal table.
import { refuseForeignResults, refuseOtherConfiguration, runBench, parseMethods } from '../bench.js';
import { defaultRecipes } from '../recipes.js';
import { runBenchInJobs } from '../bench-jobs.js';
import { isJobWorker } from '../job-pool.js';
import { canonicalForget } from '../data.js';
import { cacheDir } from '../cache.js';
import { required, type Opts } from '../options.js';
import { renderResults } from '../results.js';
import { outputDir, print, printJson, readDataConfig, readModel, readSeed, readTrainRecipe, withRun } from './shared.js';

export default async function bench(o: Opts): Promise<void> {
  const first = readSeed(o);
  const n = o.int('seeds', { min: 1 }, 3);
  const seeds = Array.from({ length: n }, (_, i) => first + i);
  const methods = parseMethods(o.string('methods', 'all'));
  const cfg = {
    data: readDataConfig(o, first),
    model: readModel(o),
    forget: canonicalForget(o.string('forget', 'random:0.1')),
    methods,
    seeds,
    trainRecipe: readTrainRecipe(o),
    cacheDir: cacheDir(o.string('cacheDir')),
    out: outputDir('--out', required(o, 'out', 'the results directory')),
    allMia: o.bool('allMia'),
    fresh: o.bool('fresh'),
    // (recipes/ are tuned for resnet20 on the protocol; --defaults runs the reference defaults, as the demo does)
    ...(o.bool('defaults') ? { recipes: defaultRecipes(methods) } : {}),
  };
  refuseForeignResults(cfg.out);
  refuseOtherConfiguration(cfg);
  const jobs = o.int('jobs', { min: 1 }, 1);
  // a worker makes its one run and leaves the tables to its parent
  const worker = isJobWorker();
  const doc = await withRun(o, ({ reporter, signal }) =>
    jobs > 1 ? runBenchInJobs(cfg, { jobs, options: o.raw, reporter, signal }) : runBench(cfg, { reporter, signal, tables: !worker, reuseReferences: worker }),
  );
  if (worker) return; // its parent prints the table
  if (o.bool('json')) printJson(doc);
  else {
    print(renderResults(doc));
    print(`\nresults → ${cfg.out}/results.json, results.csv, results.md (lethe report ${cfg.out} --html report.html)`);
  }
}
