// Process-wide state: seeding, threads, memory counters, versions.
import { availableParallelism } from 'node:os';
import { native } from './native.js';

/** Seeds libtorch's CPU (and CUDA) generators: same seed, same data, same result on CPU. */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`manualSeed: seed must be a non-negative integer, got ${seed}`);
  native.manualSeed(seed);
}

/**
 * libtorch's intra-op threads for this process: at most the cores (more only contend for them; 100,000 stalled
 * the machine). The count is part of a result's reproducibility: reductions split their work by thread.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
  const cores = availableParallelism();
  if (n > cores) throw new RangeError(`setNumThreads: ${n} threads is more than this machine's ${cores} cores`);
  native.setNumThreads(n);
}

/** libtorch's intra-op thread count for this process (every core at startup, or LETHE_NUM_THREADS). */
export function getNumThreads(): number {
  return native.getNumThreads();
}

/**
 * Runs fn with libtorch limited to `n` intra-op threads, then restores the previous count. For many small ops
 * (batch assembly, augmentation) on a busy machine: splitting a 200k-element op over 2 threads made each op wait
 * milliseconds for a descheduled second thread (bench/resnet20/README.md: 10 augmented batches 700 ms vs 15 ms).
 */
export function withNumThreads<T>(n: number, fn: () => T): T {
  const previous = native.getNumThreads();
  if (previous === n) return fn();
  native.setNumThreads(n);
  try {
    return fn();
  } finally {
    native.setNumThreads(previous);
  }
}

/** Counts of the native memory Lethe's tensors hold, as returned by memory(). */
export interface MemoryInfo {
  /** live tensor handles */
  numTensors: number;
  /** bytes held by the distinct storages behind them */
  numBytes: number;
}

/** Live tensors and the bytes they hold (each storage counted once, however many views share it). */
export function memory(): MemoryInfo {
  const m = native.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}

/** The linked libtorch: its version, build configuration and threading (parallel_info) reports, as text. */
export const libtorch = {
  version: (): string => native.version(),
  buildConfig: (): string => native.buildConfig(),
  parallelInfo: (): string => native.parallelInfo(),
};

// libtorch starts with one intra-op thread here; using every core is ~20% faster on 2 cores.
// LETHE_NUM_THREADS overrides (e.g. 1 per process in data-parallel runs).
// A bad value is said out loud: the thread count changes libtorch's reduction order, hence the results' last bits.
setNumThreads(threadsFromEnv(process.env['LETHE_NUM_THREADS'], availableParallelism(), (m) => process.stderr.write(`lethe: ${m}\n`)));

/** The thread count LETHE_NUM_THREADS asks for; unset → every core; a bad value or more than the cores → every core, with a warning. */
export function threadsFromEnv(value: string | undefined, cores: number, warn: (message: string) => void): number {
  if (value === undefined || value.trim() === '') return cores;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !(n >= 1)) {
    warn(`LETHE_NUM_THREADS must be a positive integer, got '${value}'; using all ${cores} cores`);
    return cores;
  }
  // more threads than cores only compete for them (100,000 of them stall the machine): capped, and said
  if (n > cores) {
    warn(`LETHE_NUM_THREADS=${n} is more threads than this machine's ${cores} cores; using ${cores}`);
    return cores;
  }
  return n;
}

// Large tensor buffers (activations, gradients) are allocated and freed every step. glibc would hand each one back
// to the kernel and fault it in again next step; keeping up to 32 MB blocks in the heap (the largest mmap threshold
// glibc accepts) and trimming only above 1 GB cuts page faults about 5x (bench/README.md). LETHE_MALLOC_TUNING=0 opts out.
if (process.env['LETHE_MALLOC_TUNING'] !== '0') native.tuneMalloc(32 << 20, 1 << 30);
