// Writers for small dataset files in the exact IDX and CIFAR binary formats, for the reader tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export function tempDir(prefix = 'lethe-data-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Pixel value of image i at byte j: deterministic, so reads can be checked exactly. */
export function pixelValue(i: number, j: number): number {
  return (i * 31 + j * 7) % 256;
}

export function idxImages(n: number, rows: number, cols: number): Buffer {
  const b = Buffer.alloc(16 + n * rows * cols);
  b.writeUInt32BE(0x00000803, 0);
  b.writeUInt32BE(n, 4);
  b.writeUInt32BE(rows, 8);
  b.writeUInt32BE(cols, 12);
  for (let i = 0; i < n; i++) for (let j = 0; j < rows * cols; j++) b[16 + i * rows * cols + j] = pixelValue(i, j);
  return b;
}

export function idxLabels(labels: readonly number[]): Buffer {
  const b = Buffer.alloc(8 + labels.length);
  b.writeUInt32BE(0x00000801, 0);
  b.writeUInt32BE(labels.length, 4);
  labels.forEach((y, i) => (b[8 + i] = y));
  return b;
}

export const TRAIN_LABELS = [3, 1, 4, 1, 5, 9, 2, 6];
export const TEST_LABELS = [2, 7, 1];

/** An MNIST-layout directory: 8 train and 3 test images of 4×5 pixels. */
export function writeIdxDir(dir: string, o: { gzip: boolean }): void {
  const put = (name: string, data: Buffer) => writeFileSync(join(dir, o.gzip ? `${name}.gz` : name), o.gzip ? gzipSync(data) : data);
  put('train-images-idx3-ubyte', idxImages(TRAIN_LABELS.length, 4, 5));
  put('train-labels-idx1-ubyte', idxLabels(TRAIN_LABELS));
  put('t10k-images-idx3-ubyte', idxImages(TEST_LABELS.length, 4, 5));
  put('t10k-labels-idx1-ubyte', idxLabels(TEST_LABELS));
}

/** CIFAR records: label byte(s) then 3072 pixel bytes (pixelValue(globalIndex, j)). */
export function cifarRecords(labels: readonly (number | readonly [number, number])[], firstIndex = 0): Buffer {
  const labelBytes = typeof labels[0] === 'number' ? 1 : 2;
  const record = labelBytes + 3072;
  const b = Buffer.alloc(labels.length * record);
  labels.forEach((y, i) => {
    const at = i * record;
    if (typeof y === 'number') b[at] = y;
    else {
      b[at] = y[0];
      b[at + 1] = y[1];
    }
    for (let j = 0; j < 3072; j++) b[at + labelBytes + j] = pixelValue(firstIndex + i, j);
  });
  return b;
}

/** CIFAR-10 layout: 5 train batches of 2 records and a test batch of 3. Train labels are 0…9 in order. */
export function writeCifar10Dir(dir: string): void {
  for (let k = 1; k <= 5; k++) writeFileSync(join(dir, `data_batch_${k}.bin`), cifarRecords([2 * (k - 1), 2 * (k - 1) + 1], 2 * (k - 1)));
  writeFileSync(join(dir, 'test_batch.bin'), cifarRecords([9, 0, 5]));
}

/** CIFAR-100 layout: 4 train, 2 test records with (coarse, fine) labels. */
export const CIFAR100_TRAIN: readonly [number, number][] = [
  [0, 4],
  [19, 99],
  [7, 50],
  [3, 12],
];
export const CIFAR100_TEST: readonly [number, number][] = [
  [1, 1],
  [18, 98],
];
export function writeCifar100Dir(dir: string): void {
  writeFileSync(join(dir, 'train.bin'), cifarRecords(CIFAR100_TRAIN));
  writeFileSync(join(dir, 'test.bin'), cifarRecords(CIFAR100_TEST));
}
