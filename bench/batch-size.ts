// resnet20 training steps at several batch sizes: images/s and minor page faults per step.
//
// Why: a CUFG recipe at batch 1024 ran about 2x slower per image than at batch 256. At batch 1024 the 16-channel
// activations of resnet20 on 28x28 images are 51 MB each, over the 32 MB above which glibc always maps a block
// afresh (mallopt's limit): every step then faults those pages in again. The page-fault column shows whether
// that happens; LETHE_CPU_CACHE=0 turns off the addon's cache of large blocks, so one machine measures both.
//
// Usage: npx tsc -p tsconfig.json && node dist/bench/batch-size.js [--steps 6] [--warmup 2] [--threads N]
//        [--batches 128,256,512,1024,2048]
import { createModel } from '../src/models/registry.js';
import { SGD } from '../src/optim/index.js';
import { cpuCache, crossEntropy, getNumThreads, manualSeed, memory, randint, randn, setNumThreads, tidy } from '../src/torch/index.js';
import { integerOption, median, textOptions } from './stats.js';

interface Row {
  batch: number;
  imagesPerSec: number;
  msPerStep: number;
  faultsPerStep: number;
}

function measure(batch: number, steps: number, warmup: number): Row {
  manualSeed(0);
  const model = createModel({ name: 'resnet20', numClasses: 10, inChannels: 1, imageSize: 28 });
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  const x = randn([batch, 1, 28, 28]);
  const y = randint(0, 10, [batch]);
  try {
    const step = (): void =>
      tidy(() => {
        opt.zeroGrad();
        crossEntropy(model.forward(x), y).backward();
        opt.step();
      });
    for (let i = 0; i < warmup; i++) step();
    const ms: number[] = [];
    const faults0 = process.resourceUsage().minorPageFault;
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      step();
      ms.push(performance.now() - t0);
    }
    const faults = (process.resourceUsage().minorPageFault - faults0) / steps;
    const med = median(ms);
    return { batch, imagesPerSec: (1000 * batch) / med, msPerStep: med, faultsPerStep: faults };
  } finally {
    x.dispose();
    y.dispose();
    opt.dispose();
    model.dispose();
  }
}

function main(): void {
  const a = textOptions(process.argv.slice(2), ['steps', 'warmup', 'threads', 'batches'], '[--steps 6] [--warmup 2] [--threads N] [--batches LIST]');
  const batches = (a['batches'] ?? '128,256,512,1024,2048').split(',').map(Number);
  if (batches.some((b) => !Number.isInteger(b) || b < 1)) throw new Error(`--batches must be a comma-separated list of positive integers, got '${a['batches']}'`);
  const o = { steps: integerOption(a, 'steps', 6, 1), warmup: integerOption(a, 'warmup', 2, 0) };
  if (a['threads'] !== undefined) setNumThreads(integerOption(a, 'threads', 1, 1));
  const before = memory().numTensors;
  const cache = cpuCache();
  console.log(`resnet20 train steps, ${getNumThreads()} thread(s), ${o.steps} steps after ${o.warmup} warm-up; large-block cache ${cache.enabled ? `on (blocks >= ${cache.minBytes / 2 ** 20} MB, up to ${cache.limitBytes / 2 ** 20} MB kept)` : 'off'}`);
  console.log('batch  images/s  ms/step  minor faults/step');
  for (const b of batches) {
    const r = measure(b, o.steps, o.warmup);
    console.log(`${String(r.batch).padStart(5)}  ${r.imagesPerSec.toFixed(0).padStart(8)}  ${r.msPerStep.toFixed(0).padStart(7)}  ${r.faultsPerStep.toFixed(0).padStart(17)}`);
  }
  const after = cpuCache();
  console.log(`cache: ${after.hits} hits, ${after.misses} misses, ${(after.cachedBytes / 2 ** 20).toFixed(0)} MB held now; tensors leaked: ${memory().numTensors - before}`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`batch-size: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
