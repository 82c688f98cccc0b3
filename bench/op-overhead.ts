// Where Lethe's time goes besides libtorch's kernels, for the CNN step of cnn-step-compare:
//  1. how many times one training step crosses into the native addon (each N-API entry, by name);
//  2. what one crossing costs: a 1-element `add` (allocating), `add_` (in place) and a no-op native call, timed
//     in Lethe and, through bench/cpp/op_overhead, in plain C++ (direct and through the boxed dispatcher);
//  3. the V8 garbage collections that happen during the steps (the addon reports tensor memory to V8 with
//     napi_adjust_external_memory, which can trigger collections).
// The estimate "binding overhead per step" = crossings x (Lethe per-call - C++ per-call) + GC time per step.
//
// Usage: npx tsc -p tsconfig.json && node dist/bench/op-overhead.js [--iters 200000] [--steps 10] [--threads N]
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { constants as perfConstants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { getNumThreads, ones, setNumThreads, tidy } from '../src/torch/index.js';
import { native } from '../src/torch/native.js';
import { buildCpp, repoRoot, run } from './build-cpp.js';
import { createLetheCnn } from './cnn-step.js';
import { intOptions, median } from './stats.js';

/** Wraps every function of the addon with a counter; returns the counts and a function that undoes it. */
function countNativeCalls(): { counts: Map<string, number>; restore: () => void } {
  const counts = new Map<string, number>();
  const target = native as unknown as Record<string, unknown>;
  const originals = new Map<string, (...a: unknown[]) => unknown>();
  for (const [name, fn] of Object.entries(target)) {
    if (typeof fn !== 'function') continue;
    const f = fn as (...a: unknown[]) => unknown;
    originals.set(name, f);
    target[name] = (...args: unknown[]): unknown => {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return f(...args);
    };
  }
  return { counts, restore: () => originals.forEach((f, name) => (target[name] = f)) };
}

function gcKindName(kind: number | undefined): string {
  switch (kind) {
    case perfConstants.NODE_PERFORMANCE_GC_MINOR:
      return 'scavenge';
    case perfConstants.NODE_PERFORMANCE_GC_MAJOR:
      return 'mark-compact';
    case perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return 'incremental marking';
    case perfConstants.NODE_PERFORMANCE_GC_WEAKCB:
      return 'weak callbacks';
    default:
      return `kind ${kind ?? '?'}`;
  }
}

/** ns per call of fn, best of 5 batches (the least disturbed by other processes). */
function nsPerCall(iters: number, fn: () => void): number {
  const batch = Math.max(1, Math.floor(iters / 5));
  for (let i = 0; i < batch; i++) fn();
  const results: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    results.push(Number(process.hrtime.bigint() - t0) / batch);
  }
  return Math.min(...results);
}

async function main(): Promise<void> {
  const o = intOptions(process.argv.slice(2), { iters: 200000, steps: 10, threads: getNumThreads() || availableParallelism() });
  setNumThreads(o.threads);
  const root = repoRoot();
  const cppDir = buildCpp(root);

  // 1. crossings per step
  const model = createLetheCnn({ batch: 128, seed: 0, threads: o.threads });
  for (let i = 0; i < 3; i++) model.step();
  const { counts, restore } = countNativeCalls();
  model.step();
  restore();
  const perStep = [...counts.values()].reduce((a, b) => a + b, 0);

  // 3. GC during steps (and the step time, for scale)
  const gcMs: number[] = [];
  const gcKinds = new Map<string, number>();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs.push(e.duration);
      const kind = gcKindName((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind);
      gcKinds.set(kind, (gcKinds.get(kind) ?? 0) + 1);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const stepMs: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    const t0 = performance.now();
    model.step();
    stepMs.push(performance.now() - t0);
  }
  await new Promise((r) => setTimeout(r, 10)); // let the observer deliver
  obs.disconnect();
  model.dispose();

  // 2. per-call cost, 1-element tensors so the kernel itself is negligible
  const a = ones([1]);
  const b = ones([1]);
  const chunk = 1000; // adds per tidy, so handle bookkeeping is included but scopes stay small
  const addNs = nsPerCall(o.iters / chunk, () => tidy(() => {
    for (let i = 0; i < chunk; i++) a.add(b);
  })) / chunk;
  const addInPlaceNs = nsPerCall(o.iters, () => void a.add_(b, 1e-9));
  const noopNs = nsPerCall(o.iters, () => void native.isGradEnabled());
  a.dispose();
  b.dispose();
  const cpp = JSON.parse(
    run(join(cppDir, 'op_overhead'), ['--iters', String(o.iters), '--threads', String(o.threads)], { cwd: root, what: 'op_overhead' })
      .split('\n')
      .find((l) => l.startsWith('RESULT '))!
      .slice(7),
  ) as { addNs: number; addInPlaceNs: number; addBoxedNs: number };

  const step = median(stepMs);
  const gcPerStep = gcMs.reduce((x, y) => x + y, 0) / o.steps;
  const perCallExtra = addNs - cpp.addNs;
  const bindingMs = (perStep * perCallExtra) / 1e6;
  console.log(`Lethe CNN step (batch 128, ${o.threads} threads): ${step.toFixed(1)} ms median over ${o.steps} steps\n`);
  console.log(`native crossings per step: ${perStep}`);
  console.log(`  ${[...counts.entries()].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  console.log('per call (ns, 1-element tensors)        Lethe      C++  C++ boxed');
  console.log(`  add (new tensor)                    ${addNs.toFixed(0).padStart(7)}  ${cpp.addNs.toFixed(0).padStart(7)}  ${cpp.addBoxedNs.toFixed(0).padStart(9)}`);
  console.log(`  add_ (in place)                     ${addInPlaceNs.toFixed(0).padStart(7)}  ${cpp.addInPlaceNs.toFixed(0).padStart(7)}`);
  console.log(`  no-op native call (isGradEnabled)   ${noopNs.toFixed(0).padStart(7)}`);
  console.log(`\nbinding overhead per step ~ ${perStep} x ${perCallExtra.toFixed(0)} ns = ${bindingMs.toFixed(3)} ms (${((100 * bindingMs) / step).toFixed(2)}% of the step)`);
  console.log(`V8 GC during the steps: ${gcMs.length} collections (${[...gcKinds].map(([k, v]) => `${k}: ${v}`).join(', ')}), ${gcPerStep.toFixed(2)} ms per step (${((100 * gcPerStep) / step).toFixed(2)}%)`);
}

main().catch((e: unknown) => {
  process.stderr.write(`op-overhead: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
