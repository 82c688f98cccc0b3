// The data setup every command shares: load the dataset, take the seeded --train-size/--test-size subsets, and
// apply the benchmark protocol (docs/PROTOCOL.md): 10% of each class held out for validation, the forget set
// from the same seed, forgotten classes dropped from the test set in class-wise runs. A checkpoint's manifest
// stores the DataConfig, so `unlearn` and `eval` rebuild exactly the same split.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { sha256 } from '../io/artifacts.js';
import {
  DatasetFileError,
  FASHION_MNIST_DEBIAN_DIR,
  MNIST_DEFAULT_DIR,
  Rng,
  deriveSeed,
  indicesWithoutClasses,
  loadCifar10,
  loadCifar100,
  loadFashionMnist,
  loadImageDataset,
  loadMnist,
  protocolSplit,
  trainValSplit,
  validationCount,
  type TensorDataset,
  type TrainTest,
} from '../data/index.js';
import { UsageError } from './errors.js';

export const DATA_NAMES = ['fmnist', 'mnist', 'cifar10', 'cifar100'] as const;
export const VAL_FRACTION = 0.1;

/** Everything that identifies the data of a run (stored in manifests). */
export interface DataConfig {
  /** fmnist | mnist | cifar10 | cifar100, or a directory in IDX/CIFAR layout */
  data: string;
  /** absolute directory the files were read from (null: the dataset's default location) */
  dataDir: string | null;
  /** seeded subset sizes (null: all) */
  trainSize: number | null;
  testSize: number | null;
  /** the split seed: validation hold-out, forget set and subsets all derive from it */
  seed: number;
  valFraction: number;
}

export interface LoadedData {
  config: DataConfig;
  /** the (subset of the) training images before the validation split */
  train: TensorDataset;
  test: TensorDataset;
  kind: string;
  numClasses: number;
  classNames: readonly string[] | undefined;
  inChannels: number;
  imageSize: number;
  /** per-channel normalisation folded into models */
  mean: number[];
  std: number[];
  dispose(): void;
}

// Known normalisation constants (Fashion-MNIST's are PROTOCOL.md's); other data sets get theirs measured.
const NORMALIZATION: Record<string, { mean: number[]; std: number[] }> = {
  'fashion-mnist': { mean: [0.286], std: [0.353] },
  mnist: { mean: [0.1307], std: [0.3081] },
  cifar10: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  cifar100: { mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762] },
};

export function dataConfig(o: { data: string; dataDir?: string | undefined; trainSize?: number | undefined; testSize?: number | undefined; seed: number; valFraction?: number | undefined }): DataConfig {
  const isName = (DATA_NAMES as readonly string[]).includes(o.data);
  if (!isName && !(existsSync(o.data) && statSync(o.data).isDirectory())) {
    throw new UsageError(`--data: '${o.data}' is neither ${DATA_NAMES.join(', ')} nor an existing directory with IDX/CIFAR files`);
  }
  if (o.dataDir !== undefined && !(existsSync(o.dataDir) && statSync(o.dataDir).isDirectory())) {
    throw new UsageError(`--data-dir: '${o.dataDir}' is not an existing directory`);
  }
  if (o.valFraction !== undefined && !(o.valFraction >= 0 && o.valFraction <= 0.5)) {
    throw new UsageError(`--val-fraction: expected a share of each class in [0, 0.5], got ${o.valFraction}`);
  }
  if ((o.data === 'cifar10' || o.data === 'cifar100') && o.dataDir === undefined) {
    throw new UsageError(`--data ${o.data}: Debian does not package CIFAR and nothing is downloaded; pass --data-dir with the binary-version batches`);
  }
  return {
    data: isName ? o.data : resolve(o.data),
    dataDir: o.dataDir === undefined ? null : resolve(o.dataDir),
    trainSize: o.trainSize ?? null,
    testSize: o.testSize ?? null,
    seed: o.seed,
    valFraction: o.valFraction ?? VAL_FRACTION,
  };
}

function loadRaw(c: DataConfig): TrainTest & { kind: string } {
  const dir = c.dataDir ?? undefined;
  try {
    switch (c.data) {
      case 'fmnist':
        return { kind: 'fashion-mnist', ...loadFashionMnist(dir === undefined ? {} : { dir }) };
      case 'mnist':
        return { kind: 'mnist', ...loadMnist(dir === undefined ? {} : { dir }) };
      case 'cifar10':
        return { kind: 'cifar10', ...loadCifar10({ dir: dir! }) };
      case 'cifar100':
        return { kind: 'cifar100', ...loadCifar100({ dir: dir! }) };
      default:
        return loadImageDataset(c.data);
    }
  } catch (e) {
    if (e instanceof DatasetFileError) throw new UsageError(`--data ${c.data}: ${e.message}`);
    throw e;
  }
}

function seededSubset(ds: TensorDataset, size: number | null, seed: number, stream: string, flag: string): TensorDataset {
  if (size === null || size >= ds.size) {
    if (size !== null && size > ds.size) throw new UsageError(`${flag}: ${size} is more than the ${ds.size} samples available`);
    return ds;
  }
  const idx = new Rng(deriveSeed(seed, stream)).sample(ds.size, size).sort();
  const sub = ds.subset(idx, `${ds.name}[${size} seeded]`);
  ds.dispose();
  return sub;
}

/** Per-channel mean/std of uint8 images in [0, 1] (for data sets without published constants). */
function measureNormalization(ds: TensorDataset): { mean: number[]; std: number[] } {
  const [c, h, w] = ds.imageShape;
  const px = ds.images.toTypedArray() as Uint8Array;
  const per = h * w;
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    let s2 = 0;
    let n = 0;
    for (let i = 0; i < ds.size; i++) {
      const base = (i * c + ch) * per;
      for (let j = 0; j < per; j++) {
        const v = px[base + j]! / 255;
        s += v;
        s2 += v * v;
      }
      n += per;
    }
    const m = s / n;
    mean.push(+m.toFixed(4));
    std.push(+Math.sqrt(Math.max(s2 / n - m * m, 1e-12)).toFixed(4));
  }
  return { mean, std };
}

/** Loads the data named by the config, with its seeded subsets. The caller disposes the result. */
/**
 * A digest of the data a model was made with: its training and test labels, in order (after the seeded subsets).
 * Another copy or version of a dataset, given with --data-dir, almost surely differs here; checkpoints record it so
 * that a run on other data is refused instead of unlearning samples the model never saw.
 */
export function dataDigest(d: Pick<LoadedData, 'train' | 'test'>): string {
  const bytes = (a: Int32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return sha256(Buffer.concat([bytes(d.train.labelArray()), bytes(d.test.labelArray())])).slice(0, 16);
}

export function loadData(c: DataConfig): LoadedData {
  const raw = loadRaw(c);
  const train = seededSubset(raw.train, c.trainSize, c.seed, 'train-subset', '--train-size');
  let test: TensorDataset;
  try {
    test = seededSubset(raw.test, c.testSize, c.seed, 'test-subset', '--test-size');
  } catch (e) {
    train.dispose();
    raw.test.dispose();
    throw e;
  }
  const [inChannels, imageSize] = train.imageShape;
  const norm = NORMALIZATION[raw.kind] ?? measureNormalization(train);
  return {
    config: c,
    train,
    test,
    kind: raw.kind,
    numClasses: train.numClasses,
    classNames: train.classNames,
    inChannels,
    imageSize: imageSize!,
    mean: norm.mean,
    std: norm.std,
    dispose() {
      train.dispose();
      test.dispose();
    },
  };
}

export function dataLocation(c: DataConfig): string {
  if (c.dataDir !== null) return c.dataDir;
  if (c.data === 'fmnist') return FASHION_MNIST_DEBIAN_DIR;
  if (c.data === 'mnist') return MNIST_DEFAULT_DIR;
  return c.data;
}

/** The train/validation split of the protocol (what an original model trains on: D_f ∪ D_r). */
export interface TrainSets {
  train: TensorDataset;
  val: TensorDataset;
  description: string;
  dispose(): void;
}

export function trainSets(d: LoadedData): TrainSets {
  const labels = d.train.labelArray();
  // each class holds out round(fraction · its size): a class of one image at 0.5 is all validation
  if (labels.length > 0 && validationCount(labels, d.config.valFraction) === labels.length) {
    throw new UsageError(`--val-fraction: ${d.config.valFraction} of each class leaves no training image of the ${labels.length} loaded; give a larger --train-size or a smaller --val-fraction`);
  }
  const { train, val } = trainValSplit(labels, { fraction: d.config.valFraction, seed: d.config.seed });
  const tr = d.train.subset(train, 'train');
  const va = d.train.subset(val, 'val');
  return {
    train: tr,
    val: va,
    description: `val ${d.config.valFraction * 100}% per class (${val.length}), train ${train.length} (seed ${d.config.seed})`,
    dispose() {
      tr.dispose();
      va.dispose();
    },
  };
}

/** The protocol's sets for one forget spec: D_f, D_r, validation, and the test set (forgotten classes removed). */
export interface ProtocolSets {
  forget: TensorDataset;
  retain: TensorDataset;
  val: TensorDataset;
  test: TensorDataset;
  classes: number[] | undefined;
  forgetSpec: string;
  /** the first 16 hex digits of the sha256 of D_f's sorted training indices: what the spec selected, pinned */
  forgetDigest: string;
  description: string;
  dispose(): void;
}

/**
 * A forget spec as runs record it: an `indices:FILE` path made absolute, so that the spec in a manifest names the
 * same file from any working directory. Other specs are returned as they are.
 */
export function canonicalForget(spec: string): string {
  const file = indicesFile(spec);
  return file === undefined || isAbsolute(file) ? spec : `indices:${resolve(file)}`;
}

/** The file an `indices:FILE` spec names, or undefined for any other spec. */
export function indicesFile(spec: string): string | undefined {
  return /^indices:(.+)$/s.exec(spec.trim())?.[1];
}

export function protocolSets(d: LoadedData, forget: string): ProtocolSets {
  let split;
  try {
    split = protocolSplit(d.train.labelArray(), {
      seed: d.config.seed,
      forget,
      valFraction: d.config.valFraction,
      numClasses: d.numClasses,
      ...(d.classNames === undefined ? {} : { classNames: d.classNames }),
    });
  } catch (e) {
    throw new UsageError(`--forget: ${(e as Error).message}`);
  }
  const f = d.train.subset(split.forget, 'forget');
  const r = d.train.subset(split.retain, 'retain');
  const v = d.train.subset(split.val, 'val');
  const owned = split.classes !== undefined;
  const test = owned ? d.test.subset(indicesWithoutClasses(d.test.labelArray(), split.classes!), 'test (forgotten classes removed)') : d.test;
  return {
    forget: f,
    retain: r,
    val: v,
    test,
    classes: split.classes,
    forgetSpec: forget,
    forgetDigest: sha256(new Uint8Array(split.forget.buffer, split.forget.byteOffset, split.forget.byteLength)).slice(0, 16),
    description:
      split.description +
      (owned ? `; test without class(es) ${split.classes!.join(',')}: ${test.size}` : '') +
      // MIA's shadow set pairs the first |test| retain samples (members) with the test set (non-members): with
      // fewer retain than test samples the classes are unbalanced and the SVC leans to "non-member".
      (r.size < test.size ? `; WARNING: D_r (${r.size}) is smaller than the test set (${test.size}), so MIA's attack set is unbalanced; use a smaller --test-size` : ''),
    dispose() {
      f.dispose();
      r.dispose();
      v.dispose();
      if (owned) test.dispose();
    },
  };
}

/**
 * The sets of several seeds described once. At full scale their descriptions differ only in the seed a random forget
 * set names (a class-wise one names none), so the seeds are named once instead of the whole line repeating per seed;
 * sets that really differ (a --train-size subset is drawn per seed) are listed each after its seed.
 */
export function seedsDescription(descriptions: string[], seeds: number[]): string {
  const named = seeds.length === 1 ? `seed ${seeds[0]!}` : `seeds ${seeds.join(',')}`;
  const unique = [...new Set(descriptions.map((d) => d.replace(/\(seed \d+\)/g, `(${named})`)))];
  return unique.length === 1 ? unique[0]! : descriptions.map((d, k) => `seed ${seeds[k]!}: ${d}`).join('; ');
}

/** A few lines describing the protocol, printed with every result. */
export function describeData(d: LoadedData, extra: string[] = []): string[] {
  const c = d.config;
  return [
    `data: ${d.kind} from ${dataLocation(c)}; train ${d.train.size}${c.trainSize === null ? '' : ` (seeded subset)`}, test ${d.test.size}${c.testSize === null ? '' : ' (seeded subset)'}`,
    `split seed ${c.seed}: ${c.valFraction * 100}% of each class held out for validation; the forget set is drawn from the same seed`,
    ...extra,
  ];
}
