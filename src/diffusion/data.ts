// Data for the diffusion model: Fashion-MNIST batches padded 28 → 32 and scaled to [−1, 1], class subsets, and an
// endless batch stream over a loader (the reference cycles its loaders for a fixed number of iterations).
import type { Batch } from '../data/loader.js';
import { DataLoader } from '../data/loader.js';
import type { TensorDataset } from '../data/dataset.js';
import { deriveSeed } from '../data/random.js';
import { pad, tidy, type Tensor } from '../torch/index.js';

/** [0, 1] images [B, C, h, w] → [−1, 1] images [B, C, size, size], zero-padded (black) symmetrically. */
export function toModelRange(x01: Tensor, size: number): Tensor {
  const [, , h, w] = x01.shape as [number, number, number, number];
  if (h > size || w > size || (size - h) % 2 !== 0 || (size - w) % 2 !== 0) {
    throw new Error(`toModelRange: cannot pad ${h}×${w} images symmetrically to ${size}×${size}`);
  }
  const ph = (size - h) / 2;
  const pw = (size - w) / 2;
  return tidy(() => (ph === 0 && pw === 0 ? x01 : pad(x01, [pw, pw, ph, ph])).mul(2).sub(1));
}

/** [−1, 1] model images [B, C, S, S] → [0, 1] images center-cropped to side `crop` (the classifier's input). */
export function toClassifierInput(x: Tensor, crop: number): Tensor {
  const s = x.shape[2]!;
  if (crop > s || (s - crop) % 2 !== 0) throw new Error(`toClassifierInput: cannot center-crop ${s}×${s} images to ${crop}×${crop}`);
  const o = (s - crop) / 2;
  return tidy(() => x.narrow(2, o, crop).narrow(3, o, crop).add(1).div(2).clamp(0, 1));
}

/** Indices of the samples whose label is (or is not, with exclude) in `classes`. */
export function indicesOfClasses(data: TensorDataset, classes: readonly number[], exclude = false): Int32Array {
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= data.numClasses) throw new RangeError(`class ${c} is not in [0, ${data.numClasses}) for ${data.name}`);
  }
  const set = new Set(classes);
  const out: number[] = [];
  data.labelArray().forEach((y, i) => {
    if (set.has(y) !== exclude) out.push(i);
  });
  return Int32Array.from(out);
}

/**
 * An endless stream of shuffled batches (reshuffled every pass) over the given samples. Each pass drops its last
 * partial batch unless `dropLast` is false (the reference's loaders keep it). Each yielded batch belongs to the
 * consumer. `skip` batches are passed over first, so a run resumed at iteration k sees the same batches as an
 * unbroken one.
 */
export function* cycleBatches(
  data: TensorDataset,
  o: { batchSize: number; seed: number; indices?: Int32Array; skip?: number; tag?: string; dropLast?: boolean },
): Generator<Batch, never, undefined> {
  const n = o.indices?.length ?? data.size;
  if (n === 0) throw new Error(`cycleBatches: no samples to draw from (${o.tag ?? data.name})`);
  const batchSize = Math.min(o.batchSize, n);
  const loader = new DataLoader(data, {
    batchSize,
    shuffle: true,
    dropLast: o.dropLast ?? true,
    seed: deriveSeed(o.seed, o.tag ?? 'diffusion'),
    ...(o.indices ? { indices: o.indices } : {}),
  });
  const perEpoch = loader.length;
  const skip = o.skip ?? 0;
  let epoch = Math.floor(skip / perEpoch);
  let drop = skip - epoch * perEpoch;
  for (; ; epoch++) {
    for (const batch of loader.batches(epoch)) {
      if (drop > 0) {
        drop--;
        batch.dispose();
        continue;
      }
      yield batch;
    }
  }
}
