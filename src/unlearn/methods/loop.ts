// The inner loop every training-based method shares: one pass over a loader, one step per batch.
import type { Batch } from '../../data/loader.js';
import type { DataLoader } from '../../data/loader.js';
import { randint, tidy, type Tensor } from '../../torch/index.js';
import type { MethodContext } from '../method.js';
import type { UnlearnTrainer } from '../trainer.js';

/**
 * Runs `loss(batch)` and a trainer step for every batch of `loader`; reports progress and honours abort.
 * Returns the mean loss of the pass (NaN for an empty loader).
 */
export async function trainPass(
  ctx: MethodContext,
  trainer: UnlearnTrainer,
  loader: DataLoader,
  loss: (batch: Batch) => Tensor,
  phase: string,
  epoch: number,
  epochs: number,
): Promise<number> {
  let sum = 0;
  let n = 0;
  const batches = loader.length;
  for (const batch of loader) {
    try {
      sum += tidy(() => trainer.step(loss(batch)));
    } finally {
      batch.dispose();
    }
    n++;
    await ctx.tick({ phase, epoch, epochs, batch: n, batches, loss: sum / n });
  }
  return n === 0 ? NaN : sum / n;
}

/** Labels drawn uniformly from {0..C−1} (the true label included, as the RL reference code does). */
export function uniformLabels(y: Tensor, numClasses: number): Tensor {
  return randint(0, numClasses, y.shape);
}

/** Random labels that always differ from the true one: uniform, and where equal, (y + 1) mod C (SEMU's rule). */
export function wrongLabels(y: Tensor, numClasses: number): Tensor {
  return tidy(() => {
    const r = randint(0, numClasses, y.shape);
    return r.where(r.ne(y), y.add(1).remainder(numClasses));
  });
}
