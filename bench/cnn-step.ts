// The Lethe side of bench/cnn-step-compare: one small-CNN training step through Lethe's TypeScript API.
//
// It mirrors bench/cpp/cnn_step.cpp op for op (same shapes, same randn * 0.01 initialisation drawn in the same
// order from the same seed, same fixed batch, same functional ops, same hand-written SGD with momentum), so the
// ratio of the two step times measures what the TypeScript binding costs. Only src/torch is used: the step must
// not depend on src/nn or src/optim, whose own overheads would then be measured too.
//
// Run alone: node dist/bench/cnn-step.js [--steps 30] [--warmup 5] [--threads N] [--batch 128] [--seed 0]
// (--serve 1: the step-by-step protocol cnn-step-compare drives, shared with bench/cpp/cnn_step.cpp)
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import {
  conv2d,
  crossEntropy,
  getNumThreads,
  keep,
  libtorch,
  linear,
  manualSeed,
  maxPool2d,
  memory,
  noGrad,
  randint,
  randn,
  setNumThreads,
  type Tensor,
  tidy,
  zerosLike,
} from '../src/torch/index.js';
import { intOptions, mean, median } from './stats.js';

export interface CnnStepOptions {
  steps: number;
  /** 1: serve mode (see serveLetheCnn) */
  serve: number;
  warmup: number;
  /** intra-op threads; undefined keeps Lethe's default (availableParallelism() or LETHE_NUM_THREADS) */
  threads?: number | undefined;
  batch: number;
  seed: number;
}

/** What one run reports; the C++ program prints the same fields. */
export interface CnnStepResult {
  impl: 'lethe' | 'cpp';
  libtorch: string;
  threads: number;
  batch: number;
  steps: number;
  warmup: number;
  medianMs: number;
  meanMs: number;
  imagesPerSec: number;
  firstLoss: number;
  lastLoss: number;
  stepMs: number[];
}

export const DEFAULTS: CnnStepOptions = { steps: 30, warmup: 5, batch: 128, seed: 0, serve: 0 };

/** A leaf parameter randn(shape) * 0.01, owned by the caller (created outside any enclosing tidy). */
function param(shape: readonly number[]): Tensor {
  const t = keep(tidy(() => randn(shape).mul(0.01)));
  t.requiresGrad = true;
  return t;
}

/** The model, its optimizer state and the fixed batch, ready to step; dispose() frees them all. */
export interface LetheCnn {
  /** One training step (forward, backward, SGD update) inside tidy; returns the loss. */
  step(): number;
  dispose(): void;
}

export function createLetheCnn(o: Pick<CnnStepOptions, 'threads' | 'batch' | 'seed'>): LetheCnn {
  if (o.threads !== undefined) setNumThreads(o.threads);
  manualSeed(o.seed);

  // Parameters in the order cnn_step.cpp draws them: conv1, conv2, fc1, fc2 (weight then bias).
  const params = [
    param([32, 1, 3, 3]), param([32]),
    param([64, 32, 3, 3]), param([64]),
    param([128, 9216]), param([128]),
    param([10, 128]), param([10]),
  ];
  const momentum = params.map((p) => keep(zerosLike(p)));
  // One fixed random batch: the benchmark measures compute, not data loading.
  const x = keep(randn([o.batch, 1, 28, 28]));
  const y = keep(randint(0, 10, [o.batch]));
  const [w1, b1, w2, b2, w3, b3, w4, b4] = params as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
  const lr = 0.01;
  const mu = 0.9;

  const step = (): number =>
    tidy(() => {
      let h = conv2d(x, w1, b1).relu();
      h = conv2d(h, w2, b2).relu();
      h = maxPool2d(h, 2).flatten(1);
      h = linear(h, w3, b3).relu();
      const logits = linear(h, w4, b4);
      const loss = crossEntropy(logits, y);
      loss.backward();
      noGrad(() => {
        for (let i = 0; i < params.length; i++) {
          const p = params[i]!;
          const g = p.grad;
          if (g === null) throw new Error(`parameter ${i} has no gradient after backward()`);
          momentum[i]!.mul_(mu).add_(g);
          p.add_(momentum[i]!, -lr);
          g.zero_();
        }
      });
      return loss.item();
    });

  return {
    step,
    dispose: () => {
      for (const t of [...params, ...momentum, x, y]) t.dispose();
    },
  };
}

/** One-shot run: warm up, then time o.steps steps. */
export function runLetheCnnSteps(o: CnnStepOptions): CnnStepResult & { leakedTensors: number } {
  const baseline = memory().numTensors;
  const model = createLetheCnn(o);
  let firstLoss = Number.NaN;
  let lastLoss = Number.NaN;
  for (let i = 0; i < o.warmup; i++) {
    const l = model.step();
    if (i === 0) firstLoss = l;
  }
  const stepMs: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    const t0 = performance.now();
    lastLoss = model.step();
    stepMs.push(performance.now() - t0);
    if (o.warmup === 0 && i === 0) firstLoss = lastLoss;
  }
  model.dispose();
  const med = median(stepMs);
  return {
    impl: 'lethe',
    libtorch: libtorch.version(),
    threads: getNumThreads(),
    batch: o.batch,
    steps: o.steps,
    warmup: o.warmup,
    medianMs: med,
    meanMs: mean(stepMs),
    imagesPerSec: (1000 * o.batch) / med,
    firstLoss,
    lastLoss,
    stepMs,
    leakedTensors: memory().numTensors - baseline,
  };
}

/**
 * Serve mode, the protocol of cnn_step.cpp --serve 1: warm up, print `READY {json}`, then answer each stdin
 * line `STEP n` with `TIMES <last loss> <process CPU ms for the n steps> <ms> ...`; `QUIT` or end of input prints `DONE {json}` and returns.
 */
export async function serveLetheCnn(o: CnnStepOptions): Promise<void> {
  const baseline = memory().numTensors;
  const model = createLetheCnn(o);
  let firstLoss = Number.NaN;
  for (let i = 0; i < o.warmup; i++) {
    const l = model.step();
    if (i === 0) firstLoss = l;
  }
  const meta = { impl: 'lethe', libtorch: libtorch.version(), threads: getNumThreads(), batch: o.batch, warmup: o.warmup, firstLoss };
  process.stdout.write(`READY ${JSON.stringify(meta)}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === 'QUIT') break;
    const n = Number(arg);
    if (cmd !== 'STEP' || !Number.isInteger(n) || n < 1) throw new Error(`bad command '${line}' (expected STEP n or QUIT)`);
    const times: string[] = [];
    let loss = Number.NaN;
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      loss = model.step();
      times.push((performance.now() - t0).toFixed(4));
    }
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(`TIMES ${loss} ${((cpu.user + cpu.system) / 1000).toFixed(4)} ${times.join(' ')}\n`);
  }
  model.dispose();
  process.stdout.write(`DONE ${JSON.stringify({ leakedTensors: memory().numTensors - baseline })}\n`);
}

/** Parses the options shared by cnn-step and its C++ twin. */
export function parseCnnStepArgs(argv: readonly string[]): CnnStepOptions {
  const defaults: CnnStepOptions = { ...DEFAULTS, threads: undefined };
  return intOptions(argv, defaults, ['warmup', 'seed', 'serve']);
}

async function main(): Promise<void> {
  const o = parseCnnStepArgs(process.argv.slice(2));
  if (o.serve) return serveLetheCnn(o);
  const r = runLetheCnnSteps(o);
  // Human summary on stderr; the machine-readable line (same format as the C++ program) on stdout.
  process.stderr.write(
    `lethe: ${r.medianMs.toFixed(1)} ms/step median, ${r.meanMs.toFixed(1)} mean, ${r.imagesPerSec.toFixed(0)} images/s ` +
      `(${r.threads} threads, batch ${r.batch}, ${r.steps} steps after ${r.warmup} warm-up; loss ${r.firstLoss.toFixed(4)} -> ${r.lastLoss.toFixed(4)})\n`,
  );
  if (r.leakedTensors !== 0) process.stderr.write(`warning: ${r.leakedTensors} tensors still alive after the run\n`);
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`cnn-step: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
