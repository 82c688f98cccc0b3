// Loads the native addon and describes its (thin, policy-free) interface. Only src/torch talks to it.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opaque native tensor handle (a napi External). */
export interface Handle {
  readonly __handle: unique symbol;
}

/** What the native op dispatcher accepts for one argument. */
export type NativeArg =
  | Handle
  | number
  | boolean
  | string
  | null
  | undefined
  | readonly number[]
  | readonly boolean[]
  | readonly (Handle | null)[];

/** What it returns: a handle, a plain value, or an array of those (tuples and lists). */
export type NativeValue = Handle | number | boolean | string | null | NativeValue[];

export interface NativeAddon {
  dispose(h: Handle): void;
  memory(): { numTensors: number; numBytes: number; numStorages: number };
  lookup(name: string, overload: string): number;
  schema(id: number): string;
  call(id: number, args: NativeArg[]): NativeValue;
  callInPlace(id: number, args: NativeArg[]): void;
  requiresGrad(h: Handle): boolean;
  setRequiresGrad(h: Handle, value: boolean): void;
  isLeaf(h: Handle): boolean;
  getGrad(h: Handle): Handle | null;
  setGrad(h: Handle, g: Handle | null): void;
  gradFn(h: Handle): string | null;
  backward(h: Handle, grad: Handle | null, retainGraph: boolean, createGraph: boolean): void;
  grad(
    outputs: Handle[],
    inputs: Handle[],
    gradOutputs: (Handle | null)[] | null,
    retainGraph: boolean,
    createGraph: boolean,
    allowUnused: boolean,
  ): (Handle | null)[];
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  fromBuffer(data: ArrayBufferView | ArrayBuffer, dtype: number, shape: number[]): Handle;
  toBuffer(h: Handle): ArrayBuffer;
  item(h: Handle): number | boolean;
  shape(h: Handle): number[];
  dtype(h: Handle): number;
  device(h: Handle): string;
  isContiguous(h: Handle): boolean;
  dataPtr(h: Handle): number;
  manualSeed(seed: number): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  version(): string;
  buildConfig(): string;
  parallelInfo(): string;
  cudaDeviceCount(): number;
  tuneMalloc(mmapThresholdBytes: number, trimThresholdBytes: number): boolean;
  installCpuCache(minBytes: number, limitBytes: number): void;
  setCpuCacheLimit(limitBytes: number): void;
  emptyCpuCache(): void;
  cpuCacheStats(): { enabled: boolean; minBytes: number; limitBytes: number; cachedBytes: number; hits: number; misses: number };
  svmTrain?: unknown;
}

function findAddon(): string {
  // dist/src/torch/native.js (compiled) or src/torch/native.ts (sources): walk up to the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'build', 'Release', 'lethe.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(
    'Lethe native addon not found (build/Release/lethe.node). Build it with `npm run build:native` ' +
      '(needs cmake and libtorch-dev; see the README).',
  );
}

const require = createRequire(import.meta.url);
export const native: NativeAddon = require(findAddon()) as NativeAddon;
