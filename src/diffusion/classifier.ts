// The evaluation classifier of the diffusion benchmark: Lethe's small CNN trained with fit() on real Fashion-MNIST
// (28×28, [0, 1]). Generated 32×32 samples are mapped back to its input by toClassifierInput (center crop 28).
// It plays the role of the reference's ResNet-34 judge (UA) and of Inception (the Fréchet distance's features).
import type { TensorDataset } from '../data/dataset.js';
import { evaluateSplit } from '../eval/outputs.js';
import type { ImageClassifier } from '../models/classifier.js';
import { createModel } from '../models/registry.js';
import type { ModelSpec } from '../models/spec.js';
import { fit, type EpochMetrics } from '../train/fit.js';
import type { TrainRecipe } from '../train/recipe.js';
import { manualSeed } from '../torch/index.js';

/**
 * The evaluation classifier's architecture: smallcnn on 28×28 images (trainEvalClassifier takes the channels, classes
 * and size from its data).
 */
export const EVAL_CLASSIFIER_SPEC: ModelSpec = { name: 'smallcnn', inChannels: 1, numClasses: 10, imageSize: 28 };
/** Its recipe: Adam 1e-3, batch 128, 4 epochs, constant lr, no augmentation (≈91% test accuracy). */
export const EVAL_CLASSIFIER_RECIPE: Partial<TrainRecipe> = {
  epochs: 4,
  batchSize: 128,
  optimizer: 'adam',
  lr: 1e-3,
  weightDecay: 0,
  schedule: 'constant',
  augment: false,
};

export interface EvalClassifierResult {
  model: ImageClassifier;
  testAccuracy: number;
  history: EpochMetrics[];
}

/** Trains the evaluation classifier (seeded); throws if it misses `minAccuracy` on the test set. */
export async function trainEvalClassifier(
  train: TensorDataset,
  test: TensorDataset,
  o: { seed?: number; recipe?: Partial<TrainRecipe>; minAccuracy?: number; onEpoch?: (m: EpochMetrics) => void; signal?: AbortSignal } = {},
): Promise<EvalClassifierResult> {
  manualSeed(o.seed ?? 0);
  const model = createModel({ ...EVAL_CLASSIFIER_SPEC, numClasses: train.numClasses, inChannels: train.imageShape[0], imageSize: train.imageShape[1] });
  try {
    const r = await fit(model, train, {
      recipe: { ...EVAL_CLASSIFIER_RECIPE, ...o.recipe },
      seed: o.seed ?? 0,
      ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const testAccuracy = evaluateSplit(model, test).accuracy;
    const min = o.minAccuracy ?? 0;
    if (testAccuracy < min) {
      throw new Error(`the evaluation classifier reached ${testAccuracy.toFixed(2)}% test accuracy, below the required ${min}%; train it longer, or lower minAccuracy where ${min}% is out of reach (its UA and accuracies are only as good as the classifier)`);
    }
    return { model, testAccuracy, history: r.history };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
