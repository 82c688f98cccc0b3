// The loader of one named data stream of an unlearning run (one process): shuffled by (run seed, stream name), so
// that each stream (the mask's pass, the retain epochs, the forget epochs, …) has its own order whatever the others
// draw, and a piece built outside a run (a saliency mask) can replay the run's stream exactly.
import type { TensorDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import { deriveSeed } from '../data/random.js';

/** Random crops (padding 4) and horizontal flips, as the reference's CIFAR loaders (when a method's augment is on). */
export const UNLEARN_AUGMENT = { cropPadding: 4, flip: true } as const;

export interface StreamLoaderOptions {
  seed: number;
  stream: string;
  epoch: number;
  batchSize: number;
  augment: boolean;
  indices?: Int32Array;
}

export function streamLoader(ds: TensorDataset, o: StreamLoaderOptions): DataLoader {
  const l = new DataLoader(ds, {
    batchSize: o.batchSize,
    shuffle: true,
    seed: deriveSeed(o.seed, o.stream),
    ...(o.augment ? { augment: UNLEARN_AUGMENT } : {}),
    ...(o.indices ? { indices: o.indices } : {}),
  });
  l.epoch = o.epoch;
  return l;
}
