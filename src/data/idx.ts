// The IDX file format of MNIST and Fashion-MNIST (yann.lecun.com/exdb/mnist, "FILE FORMATS"):
//   bytes 0-1: 0x00 0x00; byte 2: element type (0x08 = unsigned byte); byte 3: number of dimensions d;
//   then d big-endian uint32 sizes; then the elements, row-major.
// Images are 0x00000803 (N × rows × cols), labels 0x00000801 (N). Files may be gzipped (the .gz names).
import { readMaybeGzip, DatasetFileError, findFile } from './files.js';
import { TensorDataset } from './dataset.js';

/** Magic number of an IDX file of unsigned-byte images (3 dimensions: N × rows × cols). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic number of an IDX file of unsigned-byte labels (1 dimension: N). */
export const IDX_LABELS_MAGIC = 0x00000801;

/** A parsed IDX file of unsigned bytes. */
export interface IdxArray {
  /** The sizes from the header, e.g. [60000, 28, 28]. */
  dims: number[];
  /** The elements, row-major: a view into the buffer given to parseIdx, not a copy. */
  data: Uint8Array;
}

/** Parses an IDX byte buffer of unsigned bytes with the expected magic number. `source` names it in errors. */
export function parseIdx(bytes: Uint8Array, expectedMagic: number, source: string): IdxArray {
  if (bytes.length < 4) throw new DatasetFileError(`${source}: truncated IDX file (${bytes.length} bytes, not even a header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    const what = expectedMagic === IDX_IMAGES_MAGIC ? 'an IDX image file' : expectedMagic === IDX_LABELS_MAGIC ? 'an IDX label file' : 'an IDX file';
    throw new DatasetFileError(`${source}: wrong magic number ${hex(magic)}, expected ${hex(expectedMagic)} for ${what}; is this the right file?`);
  }
  const ndim = magic & 0xff;
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) throw new DatasetFileError(`${source}: truncated IDX header (${bytes.length} bytes, the header needs ${headerBytes})`);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const found = bytes.length - headerBytes;
  if (found < expected) {
    throw new DatasetFileError(
      `${source}: truncated IDX file: the header declares [${dims.join(' × ')}] = ${expected} bytes of data but only ${found} follow`,
    );
  }
  if (found > expected) {
    throw new DatasetFileError(`${source}: ${found - expected} unexpected bytes after the [${dims.join(' × ')}] data; the file is corrupt`);
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

function hex(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

/** Reads an image file and a label file into a TensorDataset [N, 1, rows, cols]. */
export function readIdxPair(imagesPath: string, labelsPath: string, o: { numClasses: number; classNames?: readonly string[]; name: string }): TensorDataset {
  const images = parseIdx(readMaybeGzip(imagesPath), IDX_IMAGES_MAGIC, imagesPath);
  const labels = parseIdx(readMaybeGzip(labelsPath), IDX_LABELS_MAGIC, labelsPath);
  const [n, rows, cols] = images.dims as [number, number, number];
  const nLabels = labels.dims[0]!;
  if (n !== nLabels) {
    throw new DatasetFileError(`'${imagesPath}' holds ${n} images but '${labelsPath}' holds ${nLabels} labels; the counts must match`);
  }
  for (let i = 0; i < n; i++) {
    const y = labels.data[i]!;
    if (y >= o.numClasses) throw new DatasetFileError(`${labelsPath}: label ${y} at index ${i} is out of range [0, ${o.numClasses})`);
  }
  return TensorDataset.fromArrays({
    pixels: images.data,
    shape: [n, 1, rows, cols],
    labels: labels.data,
    numClasses: o.numClasses,
    ...(o.classNames === undefined ? {} : { classNames: o.classNames }),
    name: o.name,
  });
}

/** The four file names of an MNIST-style directory, with the variants seen in the wild (gzipped or not). */
export const IDX_FILES = {
  trainImages: ['train-images-idx3-ubyte.gz', 'train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte.gz', 'train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte.gz', 't10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
} as const;

/** A dataset's training and test sets; the caller owns both (dispose each). */
export interface TrainTest {
  /** The training split. */
  train: TensorDataset;
  /** The test split. */
  test: TensorDataset;
}

/** Reads train and test sets from an MNIST-layout directory. `hint` tells the user how to get missing files. */
export function readIdxDir(dir: string, o: { numClasses: number; classNames?: readonly string[]; name: string; hint: string }): TrainTest {
  const path = (names: readonly string[]) => findFile(dir, names, o.hint);
  const trainImages = path(IDX_FILES.trainImages);
  const trainLabels = path(IDX_FILES.trainLabels);
  const testImages = path(IDX_FILES.testImages);
  const testLabels = path(IDX_FILES.testLabels);
  const common = { numClasses: o.numClasses, ...(o.classNames === undefined ? {} : { classNames: o.classNames }) };
  const train = readIdxPair(trainImages, trainLabels, { ...common, name: `${o.name}/train` });
  try {
    return { train, test: readIdxPair(testImages, testLabels, { ...common, name: `${o.name}/test` }) };
  } catch (e) {
    train.dispose();
    throw e;
  }
}
