// The generative-unlearning benchmark on Fashion-MNIST: train the evaluation classifier and the class-conditional
// DDPM (and, unless --retrain false, the same DDPM without the forgotten class: the retrain reference), unlearn one
// class with SalUn, SEMU, FT, GA, ESD and SA, evaluate every model (UA, per-class accuracy, classifier-
// feature Fréchet distance) and draw a sample grid per model. Every stage is cached in --out (a rerun skips what
// is complete; DDPM training resumes from its last saved iteration), so it can be stopped and restarted.
//
//   LETHE_NUM_THREADS=1 node dist/bench/diffusion/run.js --out bench/out/diffusion
//   (reduced: --train-iterations 600 --unlearn-iterations 60 --samples-forget 50 --samples-per-class 20 --steps 20)
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  diffusionClassifierCommand,
  diffusionEvalCommand,
  diffusionTrainCommand,
  diffusionUnlearnCommand,
  diffusionResults,
  diffusionResultsMarkdown,
  readDiffusionManifest,
  writeDiffusionResults,
  DIFFUSION_UNLEARN_METHODS,
  type DiffusionProgress,
  type DiffusionUnlearnMethod,
  type DiffusionUnlearnResult,
  type GenerationReport,
  type UnlearningCost,
} from '../../src/diffusion/index.js';
import { FASHION_MNIST_CLASSES } from '../../src/data/index.js';
import { readManifest } from '../../src/train/checkpoint.js';

const { values: a } = parseArgs({
  options: {
    out: { type: 'string', default: 'bench/out/diffusion' },
    preset: { type: 'string', default: 'small' },
    'train-iterations': { type: 'string', default: '4000' },
    'train-batch': { type: 'string', default: '64' },
    'forget-class': { type: 'string', default: '1' },
    // one seed for the DDPM, the retrain reference, every unlearning run and the evaluations' sampling; the evaluation
    // classifier keeps its own default, so runs of different seeds are scored by the same judge
    seed: { type: 'string', default: '0' },
    methods: { type: 'string', default: DIFFUSION_UNLEARN_METHODS.join(',') },
    // the retrain reference costs one more DDPM training (about as long as the original's); --retrain false skips it
    retrain: { type: 'string', default: 'true' },
    'unlearn-iterations': { type: 'string', default: '200' },
    'unlearn-batch': { type: 'string', default: '32' },
    'gradient-samples': { type: 'string', default: '1024' },
    // SA's replay set and Fisher pass, scaled to a CPU (reference: 500 images per class over 1000 sampling steps, the
    // Fisher information on all of them, ≈7.5 s per image here): sampled like the evaluation (DDIM --steps, --eta, --guidance)
    'sa-replay-per-class': { type: 'string', default: '100' },
    'sa-fim-per-class': { type: 'string', default: '5' },
    'samples-forget': { type: 'string', default: '100' },
    'samples-per-class': { type: 'string', default: '30' },
    steps: { type: 'string', default: '25' },
    eta: { type: 'string', default: '0' },
    // evaluation guidance: w = 2 (the CIFAR reference's cond_scale) over-saturates this small Fashion-MNIST model's
    // samples (the original model: 44% recognised, FD 332); w = 0.5 gives 85%, FD 88 (w = 0: 77%, FD 82)
    guidance: { type: 'string', default: '0.5' },
  },
});
const num = (k: keyof typeof a): number => Number(a[k]);
const out = a.out!;
if (a.retrain !== 'true' && a.retrain !== 'false') throw new Error(`--retrain: true or false, got '${a.retrain}'`);
const withRetrain = a.retrain === 'true';
mkdirSync(out, { recursive: true });
const forgetClass = num('forget-class');
const seed = num('seed');
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed: a non-negative integer, got '${a.seed}'`);
const t0 = performance.now();
const log = (msg: string): void => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${msg}`);
let last = 0;
const progress = (label: string) => (p: DiffusionProgress) => {
  const now = performance.now();
  if (now - last < 15_000 && p.step !== p.steps) return;
  last = now;
  log(`${label} ${p.phase} ${p.step}/${p.steps}${p.loss !== undefined ? ` loss ${p.loss.toFixed(4)}` : ''}`);
};

// 1. evaluation classifier
const clfDir = join(out, 'classifier');
let classifierAccuracy: number;
if (existsSync(join(clfDir, 'manifest.json'))) {
  classifierAccuracy = readManifest(clfDir)['testAccuracy'] as number;
  log(`classifier: cached (${classifierAccuracy.toFixed(2)}% test accuracy)`);
} else {
  classifierAccuracy = (await diffusionClassifierCommand({ out: clfDir }, progress('classifier'))).testAccuracy;
  log(`classifier: ${classifierAccuracy.toFixed(2)}% test accuracy`);
}

// 2. DDPM (resumes if interrupted)
const ddpmDir = join(out, 'ddpm');
if (!existsSync(join(ddpmDir, 'manifest.json'))) {
  const r = await diffusionTrainCommand(
    { out: ddpmDir, unet: a.preset as 'small', iterations: num('train-iterations'), batchSize: num('train-batch'), seed, checkpointEvery: 100 },
    progress('ddpm'),
  );
  log(`ddpm: ${r.result.iterations} iterations (resumed from ${r.resumedFrom}) in ${r.result.seconds.toFixed(0)} s, final loss ${r.result.finalLoss.toFixed(4)}`);
} else log('ddpm: cached');

// 2b. the retrain reference: the same training without the forgotten class (resumes if interrupted)
const retrainDir = join(out, 'retrain');
if (withRetrain && !existsSync(join(retrainDir, 'manifest.json'))) {
  const r = await diffusionTrainCommand(
    { out: retrainDir, unet: a.preset as 'small', iterations: num('train-iterations'), batchSize: num('train-batch'), forgetClass, seed, checkpointEvery: 100 },
    progress('retrain'),
  );
  log(`retrain: ${r.result.iterations} iterations on ${r.result.trainingSamples} images (resumed from ${r.resumedFrom}) in ${r.result.seconds.toFixed(0)} s`);
} else if (withRetrain) log('retrain: cached');

// 3. unlearning
const methods = a.methods!.split(',') as DiffusionUnlearnMethod[];
const runs: Record<string, UnlearningCost | null> = { original: null };
for (const method of methods) {
  const dir = join(out, method);
  if (existsSync(join(dir, 'manifest.json'))) {
    // a cached run's cost is the one its manifest recorded when it ran
    const r = readDiffusionManifest(dir)['unlearning'] as DiffusionUnlearnResult | undefined;
    runs[method] = r ? { seconds: r.seconds, trainable: r.trainable, total: r.totalParameters } : null;
    log(`${method}: cached`);
    continue;
  }
  const { result } = await diffusionUnlearnCommand(
    {
      model: ddpmDir,
      out: dir,
      method,
      forgetClass,
      seed,
      // ESD runs its reference's own budget (1000 steps of one sampled image, ≈4 min here); the others the reduced one
      ...(method === 'esd' ? {} : { iterations: num('unlearn-iterations'), batchSize: num('unlearn-batch') }),
      // only SalUn's mask and SEMU's subspace take a gradient pass; the others refuse the option
      ...(method === 'salun' || method === 'semu' ? { gradientSamples: num('gradient-samples') } : {}),
      ...(method === 'sa'
        ? { sa: { replayPerClass: num('sa-replay-per-class'), fimPerClass: num('sa-fim-per-class'), replaySteps: num('steps'), replayEta: num('eta'), replayGuidance: num('guidance') } }
        : {}),
    },
    progress(method),
  );
  runs[method] = { seconds: result.seconds, trainable: result.trainable, total: result.totalParameters };
  log(`${method}: ${result.iterations} iterations in ${result.seconds.toFixed(0)} s, ${result.trainable} trainable of ${result.totalParameters}`);
}

// 4. evaluation of every model, with a sample grid each
const gridFile = (model: string): string => `grid-${model}.png`;
const reports: Record<string, GenerationReport> = {};
for (const name of ['original', ...(withRetrain ? ['retrain'] : []), ...methods]) {
  const dir = name === 'original' ? ddpmDir : join(out, name);
  reports[name] = await diffusionEvalCommand(
    {
      model: dir,
      classifier: clfDir,
      forgetClass,
      seed,
      samplesForget: num('samples-forget'),
      samplesPerClass: num('samples-per-class'),
      steps: num('steps'),
      eta: num('eta'),
      guidance: num('guidance'),
      grid: join(out, gridFile(name)),
    },
    progress(`eval ${name}`),
  );
  const r = reports[name]!;
  log(`${name}: UA ${r.ua.toFixed(1)}%, remaining-class accuracy ${r.remainingAccuracy.toFixed(1)}%, Fréchet ${r.frechet.toFixed(2)} (${r.seconds.toFixed(0)} s)`);
}

// 5. results (results.json and results.md, written atomically; `lethe report OUT --html FILE` renders them)
const doc = diffusionResults({
  classNames: FASHION_MNIST_CLASSES,
  classifierAccuracy,
  models: Object.entries(reports).map(([model, report]) => ({ model, report, cost: runs[model] ?? null, grid: gridFile(model) })),
  config: a,
});
writeDiffusionResults(out, doc);
console.log('\n' + diffusionResultsMarkdown(doc));
