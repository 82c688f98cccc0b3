// The training case shared by the distributed worker and the 1-process reference in equivalence.test.ts.
import type { ModelSpec } from '../../../src/models/spec.js';

export const FIT_CASE = {
  spec: { name: 'mlp', inChannels: 1, numClasses: 4, imageSize: 8, hiddenSizes: [32, 16] } as ModelSpec,
  // 96 samples, global batch 32: 3 steps per epoch, shards of 48 per rank with batch 16
  data: { n: 96, classes: 4, size: 8, seed: 5 },
  recipe: { epochs: 3, batchSize: 32, optimizer: 'sgd' as const, lr: 0.1, momentum: 0.9, weightDecay: 5e-4, schedule: 'constant' as const, augment: false },
  seed: 11,
};
