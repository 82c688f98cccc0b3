// Training augmentation on whole batches as tensor ops (no per-sample JavaScript): torchvision's
// RandomCrop(size, padding) and RandomHorizontalFlip(p), each sample drawing its own offsets / coin flip.
// Randomness comes from libtorch's generator, so manualSeed(seed) makes a run repeatable.
import { arange, pad, rand, randint, tidy, where, type Tensor } from '../torch/index.js';
import { refuseUnknownKeys } from '../util/options.js';

/** A batch transform: takes a float32 [B, C, H, W] batch, returns a new tensor (the input is not modified). */
export type Augmentation = (x: Tensor) => Tensor;

function check4d(x: Tensor, what: string): [number, number, number, number] {
  if (x.ndim !== 4) throw new TypeError(`${what}: expected a [B, C, H, W] batch, got shape [${x.shape.join(', ')}]`);
  return x.shape as [number, number, number, number];
}

/**
 * Random crop with zero padding (torchvision RandomCrop(H×W, padding)): pad every side by `padding`, then cut
 * an H×W window at per-sample offsets (oy, ox) drawn uniformly from {0, …, 2·padding}. Built as one gather on
 * the flattened padded planes with the index grid (oy[b] + i) · (W + 2·padding) + (ox[b] + j).
 */
export function randomCrop(x: Tensor, padding = 4): Tensor {
  const [b, c, h, w] = check4d(x, 'randomCrop');
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`randomCrop: padding must be a non-negative integer, got ${padding}`);
  if (padding === 0 || b === 0) return x.clone();
  return tidy(() => {
    const pw = w + 2 * padding;
    const padded = pad(x, [padding, padding, padding, padding]).view(b, c, (h + 2 * padding) * pw);
    const offsets = randint(0, 2 * padding + 1, [2, b]);
    const rows = offsets.select(0, 0).view(b, 1, 1).add(arange(h).view(1, h, 1));
    const cols = offsets.select(0, 1).view(b, 1, 1).add(arange(w).view(1, 1, w));
    const flat = rows.mul(pw).add(cols).view(b, 1, h * w).expand(b, c, h * w);
    return padded.gather(2, flat).view(b, c, h, w);
  });
}

/** Horizontal flip of each sample with probability p (torchvision RandomHorizontalFlip): where(coin, flip(x), x). */
export function randomHorizontalFlip(x: Tensor, p = 0.5): Tensor {
  const [b] = check4d(x, 'randomHorizontalFlip');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  return tidy(() => {
    const coin = rand([b]).lt(p).view(b, 1, 1, 1);
    return where(coin, x.flip(3), x);
  });
}

/** The standard CIFAR training augmentation, as options (see augmentation). */
export interface AugmentOptions {
  /** random-crop padding in pixels (the papers use 4); 0 or absent: no crop */
  cropPadding?: number;
  /** horizontal flip with probability 0.5 */
  flip?: boolean;
}

/** The standard CIFAR training augmentation from options: crop (if cropPadding > 0), then flip. */
export function augmentation(o: AugmentOptions): Augmentation {
  refuseUnknownKeys('augment', o, ['cropPadding', 'flip']);
  const padding = o.cropPadding ?? 0;
  const flip = o.flip ?? false;
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`augmentation: cropPadding must be a non-negative integer, got ${padding}`);
  return (x: Tensor) =>
    tidy(() => {
      let y = padding > 0 ? randomCrop(x, padding) : x;
      if (flip) y = randomHorizontalFlip(y, 0.5);
      return y === x ? x.clone() : y;
    });
}

