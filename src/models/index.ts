// Models: CIFAR ResNet-18, CIFAR ResNet-20 (option A), a small CNN and an MLP, built by name from a JSON spec.
export { ImageClassifier } from './classifier.js';
export { ResNet18, BasicBlock, resnet18, type ResNet18Options } from './resnet18.js';
export { ResNet20, BasicBlockA, PadShortcut, resnet20, type ResNet20Options } from './resnet20.js';
export { SmallCNN, smallCnn, type SmallCNNOptions } from './smallcnn.js';
export { MLP, mlp, type MLPOptions } from './mlp.js';
export { createModel, modelNames, resolveModelSpec } from './registry.js';
export { expandClasses } from './expand.js';
export { type ModelSpec, type ModelName, type ModelOptions, validateModelSpec } from './spec.js';
