// Unlearning: methods registered by name, the reusable blocks, and the runner.
import './methods/ft.js';
import './methods/ga.js';
import './methods/rl.js';
import './methods/semu.js';
import './methods/cufg.js';
import './methods/retrain.js';
import './methods/iu.js';
import './methods/l1sparse.js';
import './methods/boundary.js';
import './methods/scrub.js';
import './methods/salun-soft.js';

export { BLOCK_NAMES, BLOCK_DEFAULTS, BLOCK_CHOICES, BLOCK_SETTINGS } from './blocks/settings.js';
export { unlearn, resolveOptions, buildSubspace, type UnlearnRunOptions, type UnlearnResult, type MaskBlockOptions, type SubspaceBlockOptions } from './run.js';
export { getMethod, methodNames, registerMethod } from './registry.js';
export type * from './method-options.js';
export type { MethodDefinition, MethodContext, CommonOptions, ProgressEvent, Blocks } from './method.js';
export { UnlearnTrainer, NonFiniteLossError, type OptimRecipe, type TrainingSpace } from './trainer.js';
export { SaliencyMask, maskFromGradients, maskFromTensors } from './blocks/saliency.js';
export { buildSaliencyMask, saliencyGradients, saliencyMasks, type SaliencyMasksOptions } from './saliency-masks.js';
export { saveMaskFile, loadMaskFile, maskProvenanceWarnings, MASK_FILE_KIND, type LoadedMaskFile, type MaskRunIdentity } from './blocks/mask-file.js';
export { SvdSubspace, subspaceWeights, type SubspaceOptions } from './blocks/subspace.js';
export { Curriculum, buildCurriculum, difficultyScores, type CurriculumOptions, type DifficultyScore } from './blocks/curriculum.js';
export { correctGradients, gateThreshold, CORRECTOR_DEFAULTS, type CorrectorOptions } from './blocks/corrector.js';
export { accumulateGradients, disposeGradients, type Gradients, type AccumulateOptions } from './blocks/gradients.js';
