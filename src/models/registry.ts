// Models by name: createModel(spec) builds any model from its plain-JSON spec (how checkpoints rebuild them).
import type { ImageClassifier } from './classifier.js';
import { MLP } from './mlp.js';
import { ResNet18 } from './resnet18.js';
import { ResNet20 } from './resnet20.js';
import { SmallCNN } from './smallcnn.js';
import { MODEL_NAMES, type ModelName, type ModelSpec, validateModelSpec } from './spec.js';

const FACTORIES: Record<ModelName, (s: ModelSpec) => ImageClassifier> = {
  resnet18: (s) => new ResNet18(s),
  resnet20: (s) => new ResNet20(s),
  smallcnn: (s) => new SmallCNN(s),
  mlp: (s) => new MLP(s),
};

const SPECS: Record<ModelName, (s: ModelSpec) => ModelSpec> = {
  resnet18: (s) => ResNet18.specOf(s),
  resnet20: (s) => ResNet20.specOf(s),
  smallcnn: (s) => SmallCNN.specOf(s),
  mlp: (s) => MLP.specOf(s),
};

/**
 * The spec that createModel(spec).spec would report (defaults filled in, fields the model ignores dropped),
 * without building the model: two specs describe the same architecture when these agree. Draws no random numbers.
 */
export function resolveModelSpec(spec: ModelSpec): ModelSpec {
  const s = validateModelSpec(spec);
  return validateModelSpec(SPECS[s.name](s));
}

/** The names createModel accepts. */
export function modelNames(): ModelName[] {
  return [...MODEL_NAMES];
}

/**
 * Builds a freshly initialised model from its spec (seed with manualSeed first for reproducible weights).
 * Unknown names and invalid fields are clear errors.
 */
export function createModel(spec: ModelSpec): ImageClassifier {
  const s = validateModelSpec(spec);
  return FACTORIES[s.name](s);
}
