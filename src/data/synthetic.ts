// A small, learnable synthetic image set for fast tests: each class is a bright Gaussian blob in its own cell of
// a grid over the image (with its own brightness per channel), jittered by up to a pixel, on a noisy background.
// A small CNN separates the classes within a few epochs (test/data/synthetic-fit), yet no two images are equal.
// Generated with the TypeScript PRNG, so the same seed gives the same bytes on every libtorch build.
import { TensorDataset } from './dataset.js';
import { Rng, deriveSeed } from './random.js';

/**
 * Options of syntheticDataset. Throws a RangeError when n < 1, classes < 2, channels < 1 or size < 4 (or any is
 * fractional).
 */
export interface SyntheticOptions {
  /** number of images (default 512) */
  n?: number;
  /** number of classes (default 10) */
  classes?: number;
  /** channels per image (default 1) */
  channels?: number;
  /** height and width (default 28) */
  size?: number;
  /** default 0 */
  seed?: number;
  /** noise standard deviation in pixel units 0…255 (default 25) */
  noise?: number;
  /** name of the dataset (default 'synthetic') */
  name?: string;
}

/**
 * Class c has its blob centre at cell c of a g×g grid over the image (g = ceil(√classes), cell centres at
 * (k + 0.5)·size/g), jittered uniformly by up to ±1 pixel, sigma size/10, peak 170…230 over a background of 20;
 * channel k of class c is scaled by 0.6 + 0.4·((c + k) mod 2); Gaussian pixel noise. Labels are balanced
 * (i mod classes) and shuffled.
 */
export function syntheticDataset(o: SyntheticOptions = {}): TensorDataset {
  const n = o.n ?? 512;
  const classes = o.classes ?? 10;
  const channels = o.channels ?? 1;
  const size = o.size ?? 28;
  const seed = o.seed ?? 0;
  const noise = o.noise ?? 25;
  for (const [k, v, min] of [['n', n, 1], ['classes', classes, 2], ['channels', channels, 1], ['size', size, 4]] as const) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`syntheticDataset: ${k} must be an integer ≥ ${min}, got ${v}`);
  }
  if (!(noise >= 0)) throw new RangeError(`syntheticDataset: noise must be ≥ 0, got ${noise}`);
  const rng = new Rng(deriveSeed(seed, 'synthetic'));
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = i % classes;
  rng.shuffleInPlace(labels);

  const plane = size * size;
  const pixels = new Uint8Array(n * channels * plane);
  const grid = Math.ceil(Math.sqrt(classes));
  const cell = size / grid;
  const sigma = size / 10;
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    const cy = (Math.floor(c / grid) + 0.5) * cell - 0.5 + (rng.nextFloat() * 2 - 1);
    const cx = ((c % grid) + 0.5) * cell - 0.5 + (rng.nextFloat() * 2 - 1);
    const peak = 170 + 60 * rng.nextFloat();
    for (let k = 0; k < channels; k++) {
      const scale = 0.6 + 0.4 * ((c + k) % 2);
      const base = (i * channels + k) * plane;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const d2 = (y - cy) ** 2 + (x - cx) ** 2;
          const v = 20 + peak * scale * Math.exp(-d2 / (2 * sigma * sigma)) + noise * rng.normal();
          pixels[base + y * size + x] = Math.min(255, Math.max(0, Math.round(v)));
        }
      }
    }
  }
  return TensorDataset.fromArrays({
    pixels,
    shape: [n, channels, size, size],
    labels,
    numClasses: classes,
    name: o.name ?? 'synthetic',
  });
}
