// The CIFAR-10 and CIFAR-100 "binary version" formats (www.cs.toronto.edu/~kriz/cifar.html):
//   CIFAR-10:  data_batch_1.bin … data_batch_5.bin (train, 10,000 records each) and test_batch.bin; a record is
//              1 label byte + 3072 pixel bytes (1024 red, then 1024 green, then 1024 blue, each 32×32 row-major).
//   CIFAR-100: train.bin (50,000) and test.bin (10,000); a record is 1 coarse label byte + 1 fine label byte +
//              3072 pixel bytes.
// The pixel layout is already [C, H, W], so records map straight onto a uint8 [N, 3, 32, 32] tensor.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TensorDataset } from './dataset.js';
import { DatasetFileError, findFile, readMaybeGzip } from './files.js';
import type { TrainTest } from './idx.js';

const PIXELS = 3 * 32 * 32;

/** CIFAR-10's class names, in label order. */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** Which CIFAR-100 label to use: the 100 fine classes (the papers' choice) or the 20 superclasses. */
export type Cifar100LabelKind = 'fine' | 'coarse';

interface Records {
  pixels: Uint8Array;
  labels: Uint8Array;
  n: number;
}

/**
 * Splits CIFAR binary records into pixels and labels. `labelBytes` is 1 (CIFAR-10) or 2 (CIFAR-100);
 * `labelOffset` picks which label byte to use.
 */
export function parseCifarRecords(bytes: Uint8Array, o: { labelBytes: 1 | 2; labelOffset: 0 | 1; numClasses: number; source: string }): Records {
  const record = o.labelBytes + PIXELS;
  if (bytes.length === 0 || bytes.length % record !== 0) {
    throw new DatasetFileError(
      `${o.source}: ${bytes.length} bytes is not a whole number of ${record}-byte CIFAR records ` +
        `(${o.labelBytes} label byte${o.labelBytes === 2 ? 's' : ''} + ${PIXELS} pixels); the file is truncated or not in CIFAR binary format`,
    );
  }
  const n = bytes.length / record;
  const pixels = new Uint8Array(n * PIXELS);
  const labels = new Uint8Array(n);
  // One memcpy per record (not per pixel).
  for (let i = 0; i < n; i++) {
    const start = i * record;
    const y = bytes[start + o.labelOffset]!;
    if (y >= o.numClasses) {
      throw new DatasetFileError(`${o.source}: label ${y} of record ${i} is out of range [0, ${o.numClasses}); the file is corrupt or not ${o.labelBytes === 1 ? 'CIFAR-10' : 'CIFAR-100'}`);
    }
    labels[i] = y;
    pixels.set(bytes.subarray(start + o.labelBytes, start + record), i * PIXELS);
  }
  return { pixels, labels, n };
}

function concat(parts: readonly Records[]): Records {
  const n = parts.reduce((a, p) => a + p.n, 0);
  const pixels = new Uint8Array(n * PIXELS);
  const labels = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    pixels.set(p.pixels, at * PIXELS);
    labels.set(p.labels, at);
    at += p.n;
  }
  return { pixels, labels, n };
}

function toDataset(r: Records, numClasses: number, name: string, classNames: readonly string[] | undefined): TensorDataset {
  return TensorDataset.fromArrays({
    pixels: r.pixels,
    shape: [r.n, 3, 32, 32],
    labels: r.labels,
    numClasses,
    ...(classNames === undefined ? {} : { classNames }),
    name,
  });
}

/** Class names from a meta text file (one per line), when present and of the right length. */
function readNames(dir: string, file: string, count: number): string[] | undefined {
  const p = join(dir, file);
  if (!existsSync(p)) return undefined;
  const names = readFileSync(p, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  return names.length === count ? names : undefined;
}

const CIFAR_HINT = 'Debian does not package CIFAR; put the CIFAR "binary version" files in that directory (or pass its path).';

/** The directory holding the CIFAR-10 .bin files: `dir` itself or its `cifar-10-batches-bin` subdirectory. */
export function cifar10Dir(dir: string): string {
  return existsSync(join(dir, 'data_batch_1.bin')) || !existsSync(join(dir, 'cifar-10-batches-bin')) ? dir : join(dir, 'cifar-10-batches-bin');
}

/** The directory holding CIFAR-100's train.bin/test.bin: `dir` itself or its `cifar-100-binary` subdirectory. */
export function cifar100Dir(dir: string): string {
  return existsSync(join(dir, 'train.bin')) || !existsSync(join(dir, 'cifar-100-binary')) ? dir : join(dir, 'cifar-100-binary');
}

/** Reads CIFAR-10 (binary version) from `dir` (or its cifar-10-batches-bin subdirectory). */
export function loadCifar10(o: { dir: string }): TrainTest {
  const dir = cifar10Dir(o.dir);
  const read = (file: string): Records =>
    parseCifarRecords(readMaybeGzip(findFile(dir, [file, `${file}.gz`], CIFAR_HINT)), { labelBytes: 1, labelOffset: 0, numClasses: 10, source: join(dir, file) });
  const trainParts: Records[] = [];
  for (let b = 1; b <= 5; b++) trainParts.push(read(`data_batch_${b}.bin`));
  const testRecords = read('test_batch.bin');
  const names = readNames(dir, 'batches.meta.txt', 10) ?? [...CIFAR10_CLASSES];
  const train = toDataset(concat(trainParts), 10, 'cifar10/train', names);
  try {
    return { train, test: toDataset(testRecords, 10, 'cifar10/test', names) };
  } catch (e) {
    train.dispose();
    throw e;
  }
}

/** Reads CIFAR-100 (binary version) from `dir` (or its cifar-100-binary subdirectory); fine labels by default. */
export function loadCifar100(o: { dir: string; labels?: Cifar100LabelKind }): TrainTest {
  const dir = cifar100Dir(o.dir);
  const kind = o.labels ?? 'fine';
  const numClasses = kind === 'fine' ? 100 : 20;
  const read = (file: string): Records =>
    parseCifarRecords(readMaybeGzip(findFile(dir, [file, `${file}.gz`], CIFAR_HINT)), {
      labelBytes: 2,
      labelOffset: kind === 'fine' ? 1 : 0,
      numClasses,
      source: join(dir, file),
    });
  const trainRecords = read('train.bin');
  const testRecords = read('test.bin');
  const names = readNames(dir, kind === 'fine' ? 'fine_label_names.txt' : 'coarse_label_names.txt', numClasses);
  const suffix = kind === 'fine' ? '' : '-coarse';
  const train = toDataset(trainRecords, numClasses, `cifar100${suffix}/train`, names);
  try {
    return { train, test: toDataset(testRecords, numClasses, `cifar100${suffix}/test`, names) };
  } catch (e) {
    train.dispose();
    throw e;
  }
}
