// The named datasets and where they live by default, plus a loader that recognises a directory's layout.
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { cifar100Dir, cifar10Dir, loadCifar10, loadCifar100 } from './cifar.js';
import { DatasetFileError } from './files.js';
import { IDX_FILES, readIdxDir, type TrainTest } from './idx.js';

export type { TrainTest } from './idx.js';

/** Where Debian's dataset-fashion-mnist package installs the four gzipped IDX files. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
/**
 * Where loadMnist looks by default. Debian has no MNIST package (as of bookworm only dataset-fashion-mnist
 * exists), so this is just the same convention; put the four IDX files there or pass `dir`.
 */
export const MNIST_DEFAULT_DIR = '/usr/share/datasets/mnist';

/** Fashion-MNIST's class names, in label order. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;
/** MNIST's class names ('0' … '9'), in label order. */
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

/** Fashion-MNIST: 60,000 train / 10,000 test, 1×28×28, 10 classes. Defaults to Debian's dataset-fashion-mnist. */
export function loadFashionMnist(o: { dir?: string } = {}): TrainTest {
  const dir = o.dir ?? FASHION_MNIST_DEBIAN_DIR;
  return readIdxDir(dir, {
    numClasses: 10,
    classNames: FASHION_MNIST_CLASSES,
    name: 'fashion-mnist',
    hint:
      o.dir === undefined
        ? "Install Debian's package: `apt-get install dataset-fashion-mnist`, or pass { dir } with the IDX files."
        : 'Pass the directory that holds the Fashion-MNIST IDX files (Debian: `apt-get install dataset-fashion-mnist` puts them in ' +
          `${FASHION_MNIST_DEBIAN_DIR}).`,
  });
}

/** MNIST: 60,000 train / 10,000 test, 1×28×28, 10 classes, from IDX files in `dir` (default MNIST_DEFAULT_DIR). */
export function loadMnist(o: { dir?: string } = {}): TrainTest {
  const dir = o.dir ?? MNIST_DEFAULT_DIR;
  return readIdxDir(dir, {
    numClasses: 10,
    classNames: MNIST_CLASSES,
    name: 'mnist',
    hint: 'Debian has no MNIST package and nothing is downloaded at run time: copy the four MNIST IDX files (gzipped or not) there, or pass { dir }.',
  });
}

/** The dataset kinds loadImageDataset knows by name. */
export type ImageDatasetKind = 'fashion-mnist' | 'mnist' | 'cifar10' | 'cifar100';
/** Every ImageDatasetKind, in the order help texts list them. */
export const IMAGE_DATASET_KINDS: readonly ImageDatasetKind[] = ['fashion-mnist', 'mnist', 'cifar10', 'cifar100'];

/** The layout found in a directory, or null. */
export function detectLayout(dir: string): 'idx' | 'cifar10' | 'cifar100' | null {
  if (existsSync(join(cifar10Dir(dir), 'data_batch_1.bin')) || existsSync(join(cifar10Dir(dir), 'data_batch_1.bin.gz'))) return 'cifar10';
  const c100 = cifar100Dir(dir);
  if ((existsSync(join(c100, 'train.bin')) || existsSync(join(c100, 'train.bin.gz'))) && !existsSync(join(c100, 'data_batch_1.bin'))) return 'cifar100';
  if (IDX_FILES.trainImages.some((f) => existsSync(join(dir, f)))) return 'idx';
  return null;
}

/**
 * Loads a dataset by name ('fashion-mnist', 'mnist', 'cifar10', 'cifar100': their default locations; CIFAR has
 * none, so name a directory) or from a directory whose layout is detected: IDX files (MNIST style; 10 classes
 * assumed, named after the directory), CIFAR-10 data_batch_*.bin, or CIFAR-100 train.bin/test.bin.
 */
export function loadImageDataset(kindOrDir: string): TrainTest & { kind: string } {
  switch (kindOrDir) {
    case 'fashion-mnist':
      return { kind: 'fashion-mnist', ...loadFashionMnist() };
    case 'mnist':
      return { kind: 'mnist', ...loadMnist() };
    case 'cifar10':
    case 'cifar100':
      throw new DatasetFileError(
        `'${kindOrDir}' has no default location (Debian does not package CIFAR); pass the directory holding its binary-version files instead`,
      );
  }
  const dir = resolve(kindOrDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DatasetFileError(
      `'${kindOrDir}' is neither a known dataset (${IMAGE_DATASET_KINDS.join(', ')}) nor an existing directory`,
    );
  }
  const layout = detectLayout(dir);
  switch (layout) {
    case 'cifar10':
      return { kind: 'cifar10', ...loadCifar10({ dir }) };
    case 'cifar100':
      return { kind: 'cifar100', ...loadCifar100({ dir }) };
    case 'idx': {
      const name = basename(dir);
      const isFashion = name.toLowerCase().includes('fashion');
      const data = isFashion ? loadFashionMnist({ dir }) : readIdxDir(dir, { numClasses: 10, name, hint: 'An IDX directory needs all four files.' });
      return { kind: isFashion ? 'fashion-mnist' : 'idx', ...data };
    }
    default:
      throw new DatasetFileError(
        `no dataset recognised in '${dir}': expected MNIST-style IDX files (${IDX_FILES.trainImages[0]} …), ` +
          'CIFAR-10 binary batches (data_batch_1.bin … test_batch.bin) or CIFAR-100 binary files (train.bin, test.bin)',
      );
  }
}
