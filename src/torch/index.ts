// The tensor engine: everything a user imports from 'lethe' about tensors.
export { Tensor, type NestedArray, type Reduction, type ScatterReduction, type VarianceOptions } from './tensor.js';
export type { DType } from './dtype.js';
export { FLOAT32_MAX } from './dtype.js';
export { cuda, type Device } from './device.js';
export * from './creation.js';
export * from './functional.js';
export { linalg } from './linalg.js';
export { autograd, noGrad, enableGrad, isGradEnabled, noGradGuard, type GradOptions } from './autograd.js';
export { tidy, keep, Scope } from './scope.js';
export { manualSeed, setNumThreads, getNumThreads, withNumThreads, memory, libtorch, type MemoryInfo, cpuCache, emptyCpuCache, setCpuCacheLimit, type CpuCacheInfo } from './runtime.js';
