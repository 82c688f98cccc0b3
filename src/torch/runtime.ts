// Process-wide state: seeding, threads, memory counters, versions.
import { availableParallelism, totalmem } from 'node:os';
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

/** The largest mmap threshold glibc accepts: it maps every block above it afresh, whatever mallopt says. */
const GLIBC_MAX_MMAP_THRESHOLD = 32 << 20;

// Large tensor buffers (activations, gradients) are allocated and freed every step. glibc would hand each one back
// to the kernel and fault it in again next step; keeping blocks up to GLIBC_MAX_MMAP_THRESHOLD in the heap and
// trimming only above 1 GB cuts page faults about 5x (bench/README.md). LETHE_MALLOC_TUNING=0 opts out.
if (process.env['LETHE_MALLOC_TUNING'] !== '0') native.tuneMalloc(GLIBC_MAX_MMAP_THRESHOLD, 1 << 30);

/** The large-block CPU cache's settings and counters, as returned by cpuCache(). */
export interface CpuCacheInfo {
  /** whether libtorch allocates through the cache (off with LETHE_CPU_CACHE=0) */
  enabled: boolean;
  /** blocks of at least this many bytes are kept when freed */
  minBytes: number;
  /** at most this many bytes are kept in all */
  limitBytes: number;
  /** bytes kept now, free for reuse */
  cachedBytes: number;
  /** large allocations served from the cache */
  hits: number;
  /** large allocations that found no kept block of their size */
  misses: number;
}

/**
 * The default limit of the bytes kept, in MB: 4 GB (resnet20 at batch 2048 on 28x28 images needs 2.5 GB of large
 * blocks per step; with 2 GB kept it still faulted in half of them), or a quarter of the machine's memory if less.
 */
export function defaultCpuCacheMb(totalBytes: number = totalmem()): number {
  return Math.min(4096, Math.floor(totalBytes / 4 / 2 ** 20));
}

/**
 * The cache limit LETHE_CPU_CACHE asks for, in MB: unset → defaultCpuCacheMb(); 0 → off; a bad value → the default,
 * with a warning.
 */
export function cpuCacheLimitFromEnv(value: string | undefined, warn: (message: string) => void, totalBytes: number = totalmem()): number {
  const fallback = defaultCpuCacheMb(totalBytes);
  if (value === undefined || value.trim() === '') return fallback;
  // 2^30 MB (a petabyte) bounds it well inside the byte counts the addon accepts
  if (!/^\s*\d+\s*$/.test(value) || Number(value) > 2 ** 30) {
    warn(`LETHE_CPU_CACHE must be a size in MB (0 turns the cache off), got '${value}'; using ${fallback}`);
    return fallback;
  }
  return Number(value);
}

// Activation buffers over 32 MB (resnet20 at batch 1024 on 28x28 images) are mapped afresh by glibc at every
// allocation, and each step faults them in again: that halved the throughput (bench/batch-size.ts). The addon's
// allocator keeps such blocks when they are freed and hands them out again for the same size. LETHE_CPU_CACHE=0
// turns it off; LETHE_CPU_CACHE=N keeps at most N MB.
{
  const limitMb = cpuCacheLimitFromEnv(process.env['LETHE_CPU_CACHE'], (m) => process.stderr.write(`lethe: ${m}\n`));
  // the blocks glibc would map afresh are the ones worth keeping; the heap already keeps the smaller ones
  if (limitMb > 0) native.installCpuCache(GLIBC_MAX_MMAP_THRESHOLD, limitMb * 2 ** 20);
}

/** The large-block CPU cache: whether it is on, its limits and how often it served an allocation. */
export function cpuCache(): CpuCacheInfo {
  return native.cpuCacheStats();
}

/** Returns every kept block to the system (e.g. before a phase that needs the memory for something else). */
export function emptyCpuCache(): void {
  native.emptyCpuCache();
}

/** Sets how many bytes the cache may keep (blocks over the new limit are freed now). No-op when the cache is off. */
export function setCpuCacheLimit(bytes: number): void {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`setCpuCacheLimit: bytes must be a finite number >= 0, got ${bytes}`);
  if (native.cpuCacheStats().enabled) native.setCpuCacheLimit(Math.floor(bytes));
}

