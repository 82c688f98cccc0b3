// torch.nn for Lethe: the Module base, layers and initialisation.
export {
  Module,
  cloneModule,
  disposeStateDict,
  type StateDict,
  type StateDictLike,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type ModuleToOptions,
} from './module.js';
export { Linear, Embedding, type LinearOptions, type EmbeddingOptions } from './linear.js';
export { Conv2d, type Conv2dOptions } from './conv.js';
export {
  BatchNorm2d,
  GroupNorm,
  LayerNorm,
  type BatchNormOptions,
  type GroupNormOptions,
  type LayerNormOptions,
} from './normalization.js';
export { ReLU, SiLU, GELU, Identity, Flatten, Dropout } from './activation.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, type MaxPool2dOptions, type AvgPool2dOptions } from './pooling.js';
export { Sequential } from './container.js';
export { Normalize, type NormalizeOptions } from './normalize.js';
export type { Pair } from './check.js';
export * as init from './init.js';
