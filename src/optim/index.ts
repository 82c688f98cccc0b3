// Optimizers, gradient clipping and learning-rate schedules (torch.optim, torch.nn.utils.clip_grad_*).
export {
  Optimizer,
  type BaseOptions,
  type MaskMode,
  type OptionValue,
  type ParamGroup,
  type ParamGroupInit,
  type ParamsInput,
  type ParamState,
  type OptimizerStateDict,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { clipGradNorm, clipTensorsNorm, clipGradValue, type ClipGradNormOptions } from './clip.js';
export {
  LRScheduler,
  LambdaLR,
  StepLR,
  MultiStepLR,
  CosineAnnealingLR,
  LinearWarmup,
  type LinearWarmupOptions,
  type SchedulableOptimizer,
  type SchedulerStateDict,
} from './schedulers.js';
