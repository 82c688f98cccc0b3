// Generative unlearning: a class-conditional DDPM with classifier-free guidance, its samplers, the diffusion
// versions of SalUn, SEMU, FT and GA, the ESD and Selective Amnesia baselines, and the evaluation (UA, classifier-feature Fréchet distance, sample grids).
export { UNET_PRESETS, resolveUNetConfig, type UNetConfig, type UNetPreset } from './config.js';
export { UNet, ResBlock, AttnBlock, timestepEmbedding } from './unet.js';
export { NoiseSchedule, timestepTensor, type ScheduleOptions } from './schedule.js';
export { diffusionLoss, forgetLoss, guidedPrediction, guide, noiseLoss, dropConditioning, type NoisePredictor, type DiffusionLossOptions, type ForgetLossOptions } from './loss.js';
export { ddpmStep, ddimStep, guidedDdimStep, ddimTimesteps, sampleImages, type SampleOptions, type DdimStepOptions, type DdpmVariance } from './samplers.js';
export { Ema } from './ema.js';
export { toModelRange, toClassifierInput, indicesOfClasses, cycleBatches } from './data.js';
export { trainDiffusion, type DiffusionTrainOptions, type DiffusionTrainResult, type DiffusionTrainState } from './train.js';
export {
  unlearnDiffusion,
  diffusionGradients,
  diffusionSaliencyMasks,
  prepareSelectiveAmnesia,
  DIFFUSION_UNLEARN_METHODS,
  DIFFUSION_UNLEARN_DEFAULTS,
  DDPM_SUBSPACE,
  type DiffusionUnlearnMethod,
  type DiffusionUnlearnOptions,
  type DiffusionUnlearnResult,
} from './unlearn.js';
export { esdLoss, esdTarget, esdTimestep, esdNoisyImages, esdSettings, sampleDown, ESD_DEFAULTS, ESD_XT_SOURCES, type EsdSettings, type EsdXtSource, type EsdSampler } from './esd.js';
export { saveSaFile, loadSaFile, disposeSaPrepared, SA_FILE_KIND, type SaPrepared, type SaPassSettings, type LoadedSaFile } from './sa-file.js';
export { fisherDiagonal, ewcPenalty, saLoss, sampleReplay, saSettings, SA_DEFAULTS, type SaSettings } from './sa.js';
export { frechetDistance, frechetFromStats, gaussianStats, sqrtmPsd, type GaussianStats } from './frechet.js';
export { evaluateGenerator, classifyImages, realFeatures, gridLabels, pickPerClass, FRECHET_NOTE, type GenerationReport, type GenerationEvalOptions } from './evaluate.js';
export { trainEvalClassifier, EVAL_CLASSIFIER_SPEC, EVAL_CLASSIFIER_RECIPE } from './classifier.js';
export {
  diffusionResults,
  diffusionResultsMarkdown,
  writeDiffusionResults,
  DIFFUSION_DEFINITIONS,
  DIFFUSION_RESULTS_FORMAT,
  type DiffusionResultsDoc,
  type DiffusionResultRow,
  type DiffusionSampling,
  type EvaluatedModel,
  type UnlearningCost,
} from './results.js';
export { readDiffusionResults, isLegacyDiffusionResults } from './results-read.js';
export { combineDiffusionSeeds, diffusionSeedsMarkdown, documentSeed, type DiffusionSeedRow, type DiffusionSeedsSummary, type SeedSpread } from './seeds.js';
export { encodePng, writePng, pngSize, imageGrid, crc32, type RasterImage } from './png.js';
export {
  saveDiffusionCheckpoint,
  loadDiffusionCheckpoint,
  readDiffusionManifest,
  DiffusionCheckpointError,
  type DiffusionManifest,
} from './checkpoint.js';
export * from './commands.js';
