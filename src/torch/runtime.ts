// Process-wide state: seeding, threads, memory counters, versions.
import { availableParallelism } from 'node:os';
import { native } from './native.js';

/** Seeds libtorch's CPU (and CUDA) generators: same seed, same data, same result on CPU. */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`manualSeed: seed must be a non-negative integer, got ${seed}`);
  native.manualSeed(seed);
}

export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

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

export const libtorch = {
  version: (): string => native.version(),
  buildConfig: (): string => native.buildConfig(),
  parallelInfo: (): string => native.parallelInfo(),
};

// libtorch starts with one intra-op thread here; using every core is ~20% faster on 2 cores.
// LETHE_NUM_THREADS overrides (e.g. 1 per process in data-parallel runs).
const envThreads = Number(process.env['LETHE_NUM_THREADS'] ?? '');
setNumThreads(Number.isInteger(envThreads) && envThreads > 0 ? envThreads : availableParallelism());
