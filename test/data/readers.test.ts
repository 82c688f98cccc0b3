import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { memory } from '../../src/torch/index.js';
import { loadCifar10, loadCifar100 } from '../../src/data/cifar.js';
import { FASHION_MNIST_DEBIAN_DIR, loadFashionMnist, loadImageDataset, loadMnist } from '../../src/data/datasets.js';
import type { TensorDataset } from '../../src/data/dataset.js';
import { parseIdx, IDX_IMAGES_MAGIC } from '../../src/data/idx.js';
import {
  CIFAR100_TEST,
  CIFAR100_TRAIN,
  idxImages,
  idxLabels,
  pixelValue,
  TEST_LABELS,
  TRAIN_LABELS,
  tempDir,
  writeCifar100Dir,
  writeCifar10Dir,
  writeIdxDir,
} from './fixtures.js';
import { baselineMemory } from '../baseline.js';

function expectPixels(ds: TensorDataset, perImage: number, firstIndex = 0): void {
  const px = ds.images.toTypedArray() as Uint8Array;
  assert.equal(px.length, ds.size * perImage);
  for (let i = 0; i < ds.size; i++) {
    for (const j of [0, 1, perImage - 1]) assert.equal(px[i * perImage + j], pixelValue(firstIndex + i, j), `image ${i} byte ${j}`);
  }
}

for (const gzip of [false, true]) {
  test(`IDX round trip (${gzip ? 'gzipped' : 'plain'})`, () => {
    const { dir, cleanup } = tempDir();
    const before = baselineMemory().numTensors;
    try {
      writeIdxDir(dir, { gzip });
      const { train, test: testSet } = loadMnist({ dir });
      assert.deepEqual(train.images.shape, [8, 1, 4, 5]);
      assert.equal(train.images.dtype, 'uint8');
      assert.equal(train.labels.dtype, 'int64');
      assert.deepEqual([...train.labelArray()], TRAIN_LABELS);
      assert.deepEqual(train.labels.toArray(), TRAIN_LABELS);
      assert.deepEqual([...testSet.labelArray()], TEST_LABELS);
      assert.equal(train.name, 'mnist/train');
      assert.equal(train.classNames?.[3], '3');
      expectPixels(train, 20);
      expectPixels(testSet, 20);
      train.dispose();
      testSet.dispose();
      assert.equal(memory().numTensors, before);
    } finally {
      cleanup();
    }
  });
}

test('IDX: a gzipped file is detected by content, whatever its name', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeIdxDir(dir, { gzip: false });
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), gzipSync(idxLabels(TRAIN_LABELS)));
    const { train, test: t } = loadMnist({ dir });
    assert.deepEqual([...train.labelArray()], TRAIN_LABELS);
    train.dispose();
    t.dispose();
  } finally {
    cleanup();
  }
});

test('IDX errors: missing file names the file, the directory and the Debian package', () => {
  const { dir, cleanup } = tempDir();
  try {
    assert.throws(() => loadFashionMnist({ dir }), (e: Error) => {
      assert.match(e.message, /train-images-idx3-ubyte\.gz/);
      assert.ok(e.message.includes(dir));
      assert.match(e.message, /dataset-fashion-mnist/);
      return true;
    });
    assert.throws(() => loadMnist({ dir }), /Debian has no MNIST package/);
    writeIdxDir(dir, { gzip: false });
    unlinkSync(join(dir, 't10k-labels-idx1-ubyte'));
    const before = baselineMemory().numTensors;
    assert.throws(() => loadMnist({ dir }), /t10k-labels-idx1-ubyte/);
    assert.equal(memory().numTensors, before, 'nothing leaks when the second half fails');
  } finally {
    cleanup();
  }
});

test('IDX errors: wrong magic, truncated, trailing bytes, count mismatch, label out of range, corrupt gzip', () => {
  const { dir, cleanup } = tempDir();
  try {
    const img = idxImages(3, 2, 2);
    assert.throws(() => parseIdx(idxLabels([1, 2]), IDX_IMAGES_MAGIC, 'x.idx'), /x\.idx: wrong magic number 0x00000801, expected 0x00000803/);
    assert.throws(() => parseIdx(img.subarray(0, img.length - 1), IDX_IMAGES_MAGIC, 'x.idx'), /truncated IDX file: the header declares \[3 × 2 × 2\] = 12 bytes of data but only 11 follow/);
    assert.throws(() => parseIdx(img.subarray(0, 10), IDX_IMAGES_MAGIC, 'x.idx'), /truncated IDX header/);
    assert.throws(() => parseIdx(img.subarray(0, 2), IDX_IMAGES_MAGIC, 'x.idx'), /truncated IDX file/);
    assert.throws(() => parseIdx(Buffer.concat([img, Buffer.from([0])]), IDX_IMAGES_MAGIC, 'x.idx'), /1 unexpected bytes/);

    writeIdxDir(dir, { gzip: false });
    // swapped files: labels where images are expected
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxLabels(TRAIN_LABELS));
    assert.throws(() => loadMnist({ dir }), /train-images-idx3-ubyte: wrong magic number/);
    // count mismatch
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxImages(7, 4, 5));
    assert.throws(() => loadMnist({ dir }), /holds 7 images but .* holds 8 labels/);
    // label out of range
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxImages(8, 4, 5));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxLabels([0, 1, 2, 10, 4, 5, 6, 7]));
    assert.throws(() => loadMnist({ dir }), /label 10 at index 3 is out of range \[0, 10\)/);
    // truncated gzip
    const gz = gzipSync(idxLabels(TRAIN_LABELS));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), gz.subarray(0, gz.length - 6));
    assert.throws(() => loadMnist({ dir }), /corrupt or truncated gzip/);
  } finally {
    cleanup();
  }
});

test('CIFAR-10 round trip: five train batches concatenated in order, class names', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeCifar10Dir(dir);
    const { train, test: t } = loadCifar10({ dir });
    assert.deepEqual(train.images.shape, [10, 3, 32, 32]);
    assert.deepEqual([...train.labelArray()], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual([...t.labelArray()], [9, 0, 5]);
    assert.equal(train.classNames?.[1], 'automobile');
    expectPixels(train, 3072);
    expectPixels(t, 3072);
    // red plane first: image 0, channel 1 (green), pixel (0, 0) is byte 1024 of the record
    const px = train.images.toTypedArray() as Uint8Array;
    assert.equal(px[1024], pixelValue(0, 1024));
    train.dispose();
    t.dispose();
  } finally {
    cleanup();
  }
});

test('CIFAR-10 errors: missing batch, truncated record, label out of range', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeCifar10Dir(dir);
    unlinkSync(join(dir, 'data_batch_4.bin'));
    assert.throws(() => loadCifar10({ dir }), /'data_batch_4\.bin'.*in '.*'.*Debian does not package CIFAR/);
    writeCifar10Dir(dir);
    const b = readFileSync(join(dir, 'data_batch_2.bin'));
    writeFileSync(join(dir, 'data_batch_2.bin'), b.subarray(0, b.length - 100));
    assert.throws(() => loadCifar10({ dir }), /data_batch_2\.bin: 6046 bytes is not a whole number of 3073-byte CIFAR records/);
    writeCifar10Dir(dir);
    b[3073] = 12;
    writeFileSync(join(dir, 'data_batch_2.bin'), b);
    assert.throws(() => loadCifar10({ dir }), /data_batch_2\.bin: label 12 of record 1 is out of range \[0, 10\)/);
  } finally {
    cleanup();
  }
});

test('CIFAR-100: fine labels by default, coarse on request, names from the meta file', () => {
  const { dir, cleanup } = tempDir();
  try {
    const sub = join(dir, 'cifar-100-binary');
    mkdirSync(sub);
    writeCifar100Dir(sub);
    writeFileSync(join(sub, 'coarse_label_names.txt'), Array.from({ length: 20 }, (_, i) => `super${i}`).join('\n') + '\n');
    const fine = loadCifar100({ dir });
    assert.equal(fine.train.numClasses, 100);
    assert.deepEqual([...fine.train.labelArray()], CIFAR100_TRAIN.map((p) => p[1]));
    assert.deepEqual([...fine.test.labelArray()], CIFAR100_TEST.map((p) => p[1]));
    assert.equal(fine.train.classNames, undefined);
    expectPixels(fine.train, 3072);
    const coarse = loadCifar100({ dir, labels: 'coarse' });
    assert.equal(coarse.train.numClasses, 20);
    assert.deepEqual([...coarse.train.labelArray()], CIFAR100_TRAIN.map((p) => p[0]));
    assert.equal(coarse.train.classNames?.[19], 'super19');
    for (const d of [fine.train, fine.test, coarse.train, coarse.test]) d.dispose();
    // a CIFAR-10 file read as CIFAR-100 has the wrong record size
    writeFileSync(join(sub, 'train.bin'), readFileSync(join(sub, 'train.bin')).subarray(0, 3 * 3073));
    assert.throws(() => loadCifar100({ dir }), /3074-byte CIFAR records/);
  } finally {
    cleanup();
  }
});

test('loadImageDataset detects IDX, CIFAR-10 and CIFAR-100 layouts', () => {
  const { dir, cleanup } = tempDir();
  try {
    const idx = join(dir, 'my-fashion');
    const c10 = join(dir, 'c10');
    const c100 = join(dir, 'c100');
    for (const d of [idx, c10, c100]) mkdirSync(d);
    writeIdxDir(idx, { gzip: true });
    writeCifar10Dir(c10);
    writeCifar100Dir(c100);
    const a = loadImageDataset(idx);
    assert.equal(a.kind, 'fashion-mnist');
    assert.equal(a.train.classNames?.[0], 'T-shirt/top');
    const b = loadImageDataset(c10);
    assert.equal(b.kind, 'cifar10');
    assert.equal(b.train.size, 10);
    const c = loadImageDataset(c100);
    assert.equal(c.kind, 'cifar100');
    assert.equal(c.train.numClasses, 100);
    for (const r of [a, b, c]) {
      r.train.dispose();
      r.test.dispose();
    }
    assert.throws(() => loadImageDataset(join(dir, 'nope')), /neither a known dataset .* nor an existing directory/);
    assert.throws(() => loadImageDataset(dir), /no dataset recognised/);
    assert.throws(() => loadImageDataset('cifar10'), /no default location/);
  } finally {
    cleanup();
  }
});

test('the real Fashion-MNIST from Debian, when installed: 60000/10000, first labels', { skip: !existsSync(FASHION_MNIST_DEBIAN_DIR) }, () => {
  const before = baselineMemory();
  const { train, test: t } = loadFashionMnist();
  assert.deepEqual(train.images.shape, [60000, 1, 28, 28]);
  assert.deepEqual(t.images.shape, [10000, 1, 28, 28]);
  // Known first labels of Fashion-MNIST (Ankle boot, T-shirt/top, T-shirt/top, Dress, T-shirt/top, Pullover, …).
  assert.deepEqual([...train.labelArray().subarray(0, 10)], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  assert.deepEqual([...t.labelArray().subarray(0, 10)], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
  assert.deepEqual([...train.classCounts()], new Array(10).fill(6000));
  assert.deepEqual([...t.classCounts()], new Array(10).fill(1000));
  train.dispose();
  t.dispose();
  assert.equal(memory().numBytes, before.numBytes);
});
