// A small SalUn-style run (mask from Σ ∇CE over D_f, then masked fine-tuning on D_r), written once and run
// either on one process (plain DataLoaders) or data-parallel (sharded loaders + the DDP adapters).
import { crossEntropy, manualSeed, tidy } from '../../../src/torch/index.js';
import { createModel } from '../../../src/models/registry.js';
import type { ModelSpec } from '../../../src/models/spec.js';
import { syntheticDataset } from '../../../src/data/synthetic.js';
import { DataLoader } from '../../../src/data/loader.js';
import { accumulateGradients, disposeGradients } from '../../../src/unlearn/blocks/gradients.js';
import { maskFromGradients } from '../../../src/unlearn/blocks/saliency.js';
import { UnlearnTrainer } from '../../../src/unlearn/trainer.js';
import { shardedLoader } from '../../../src/distributed/sampler.js';
import { accumulateGradientsParallel, dataParallelTrainer } from '../../../src/distributed/unlearn.js';
import type { DistributedDataParallel } from '../../../src/distributed/ddp.js';

const SPEC: ModelSpec = { name: 'mlp', inChannels: 1, numClasses: 4, imageSize: 8, hiddenSizes: [16] };
const BATCH = 16;

export interface UnlearnOut {
  gradSums: Record<string, number[]>;
  salient: number;
  weights: Record<string, number[]>;
}

/** Runs the case; `ddp` null = one process. The model starts from manualSeed(initSeed). */
export function runUnlearnCase(initSeed: number, makeDdp: ((m: ReturnType<typeof createModel>) => DistributedDataParallel) | null): UnlearnOut {
  manualSeed(initSeed);
  const model = createModel(SPEC);
  const ddp = makeDdp?.(model) ?? null;
  const forget = syntheticDataset({ n: 32, classes: 4, size: 8, seed: 8 });
  const retain = syntheticDataset({ n: 64, classes: 4, size: 8, seed: 9 });
  const loader = (ds: typeof forget, seed: number, epoch: number): DataLoader => {
    if (ddp) return shardedLoader(ds, { globalBatchSize: BATCH, worldSize: ddp.worldSize, rank: ddp.rank, epoch, seed });
    const l = new DataLoader(ds, { batchSize: BATCH, shuffle: true, seed });
    l.epoch = epoch;
    return l;
  };
  const loss = (b: { x: Parameters<typeof model.forward>[0]; y: Parameters<typeof crossEntropy>[1] }) => crossEntropy(model.forward(b.x), b.y);
  const grads = ddp ? accumulateGradientsParallel(ddp, model, loader(forget, 3, 0), loss, { reduce: 'sum' }) : accumulateGradients(model, loader(forget, 3, 0), loss, { reduce: 'sum' });
  const gradSums: Record<string, number[]> = {};
  for (const [n, g] of grads) gradSums[n] = Array.from(g.toTypedArray() as Float32Array);
  const mask = maskFromGradients(grads, 0.5);
  disposeGradients(grads);
  let trainer = new UnlearnTrainer(model, { lr: 0.05 }, { mask });
  if (ddp) trainer = dataParallelTrainer(trainer, ddp);
  for (let epoch = 0; epoch < 2; epoch++) {
    for (const batch of loader(retain, 4, epoch)) {
      tidy(() => trainer.step(loss(batch)));
      batch.dispose();
    }
  }
  const weights: Record<string, number[]> = {};
  for (const [n, p] of model.namedParameters()) weights[n] = Array.from(p.toTypedArray() as Float32Array);
  const out = { gradSums, salient: mask.count(), weights };
  trainer.dispose();
  mask.dispose();
  model.dispose();
  forget.dispose();
  retain.dispose();
  return out;
}
