// Data: datasets in memory, file readers, splits, forget sets, the batch loader and augmentation.
export { TensorDataset, type TensorDatasetInit } from './dataset.js';
export { Rng, deriveSeed, type Seed } from './random.js';
export { DatasetFileError } from './files.js';
export { parseIdx, readIdxPair, readIdxDir, IDX_FILES, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, type IdxArray } from './idx.js';
export { loadCifar10, loadCifar100, parseCifarRecords, CIFAR10_CLASSES, type Cifar100LabelKind } from './cifar.js';
export {
  loadFashionMnist,
  loadMnist,
  loadImageDataset,
  detectLayout,
  FASHION_MNIST_DEBIAN_DIR,
  MNIST_DEFAULT_DIR,
  FASHION_MNIST_CLASSES,
  MNIST_CLASSES,
  IMAGE_DATASET_KINDS,
  type ImageDatasetKind,
  type TrainTest,
} from './datasets.js';
export { syntheticDataset, type SyntheticOptions } from './synthetic.js';
export { trainValSplit, validationCount, indicesByClass, type TrainValSplit } from './split.js';
export {
  parseForgetSpec,
  formatForgetSpec,
  selectForgetSet,
  indicesWithoutClasses,
  type ForgetSpec,
  type ForgetSelection,
  type SelectForgetOptions,
} from './forget.js';
export { protocolSplit, type ProtocolSplit } from './protocol.js';
export { randomCrop, randomHorizontalFlip, augmentation, type Augmentation, type AugmentOptions } from './augment.js';
export { DataLoader, type Batch, type DataLoaderOptions } from './loader.js';
