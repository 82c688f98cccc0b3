// lethe train: an original model (or the retrain reference with --forget), resumable, reused when finished.
import { required, type Opts } from '../options.js';
import { trainCheckpoint, trainIdentity, type TrainJob } from '../training.js';
import { cacheDir, modelDir } from '../cache.js';
import { UsageError } from '../errors.js';
import { runDistributed } from '../distributed.js';
import { outputDir, print, printAccuracy, printJson, readDataConfig, readModel, readSeed, readTrainRecipe, withRun } from './shared.js';
import { canonicalForget, describeData, loadData } from '../data.js';

export default async function train(o: Opts): Promise<void> {
  const seed = readSeed(o);
  const data = readDataConfig(o, seed);
  const model = readModel(o);
  const recipe = readTrainRecipe(o);
  const forgetFlag = o.string('forget');
  const forget = forgetFlag === undefined ? undefined : canonicalForget(forgetFlag);
  const out = checkpointDir(o, { data, model, recipe, seed, ...(forget === undefined ? {} : { forget }) });
  const outcome = await runDistributed(o, (parallel) => withRun(o, async ({ reporter, signal }) => {
    const loaded = loadData(data);
    try {
      if (forget !== undefined) {
        // Validate the forget spec before any training starts (a bad spec is a usage error, exit 2).
        const { protocolSets } = await import('../data.js');
        protocolSets(loaded, forget).dispose();
      }
      const r = await trainCheckpoint(
        { dir: out, data, model, recipe, seed, force: o.bool('force'), cached: o.bool('cache'), ...(forget === undefined ? {} : { forget }) },
        { reporter, signal, data: loaded, ...(parallel ? { parallel } : {}) },
      );
      return { ...r, protocol: describeData(loaded) };
    } finally {
      loaded.dispose();
    }
  }));
  // a launcher (--nproc) has nothing to print beyond its workers' output; ranks other than 0 print nothing
  if (outcome === null || outcome.manifest === null) return;
  const m = outcome.manifest;
  const acc = m['accuracy'] as { train: number; val: number | null; test: number; memorisationGap: number };
  if (o.bool('json')) {
    printJson({ checkpoint: out, reused: outcome.reused, resumedFrom: outcome.resumedFrom, kind: m.kind, model: m.model, protocol: outcome.protocol, recipe: m['recipe'], accuracy: acc, seconds: m['seconds'], history: m['history'] });
    return;
  }
  print(outcome.protocol.map((l) => `# ${l}`).join('\n'));
  print(`# ${m.kind} ${m.model.name}: ${outcome.reused ? 'reused the finished checkpoint' : `trained in ${(m['seconds'] as number).toFixed(1)} s`} → ${out}`);
  printAccuracy(acc);
}

/**
 * --out, or with --cache the directory where bench and sweep look for this very model (same data, model, recipe,
 * seed and forget set): the original and the retrain of a benchmark can then train as two processes at once, and
 * the benchmark finds both finished.
 */
function checkpointDir(o: Opts, job: Omit<TrainJob, 'dir' | 'force' | 'label'>): string {
  if (!o.bool('cache')) {
    if (o.has('cacheDir')) throw new UsageError('--cache-dir: only with --cache (it says which model cache to write into)');
    return outputDir('--out', required(o, 'out', 'the checkpoint directory to write (or --cache, for the model cache bench and sweep read)'));
  }
  if (o.has('out')) throw new UsageError('--out and --cache: give one of them (--cache writes where bench and sweep look for this model)');
  return modelDir(cacheDir(o.string('cacheDir')), job.forget === undefined ? 'original' : 'retrain', trainIdentity(job), job.model);
}
