// A SalUn run through the real runner (mask from Σ ∇CE over D_f, then random labels on D_f and fine-tuning on
// D_r on the salient weights), written once and run either on one process or data-parallel (`parallel` option).
import { manualSeed } from '../../../src/torch/index.js';
import { createModel } from '../../../src/models/registry.js';
import type { ModelSpec } from '../../../src/models/spec.js';
import type { Module } from '../../../src/nn/module.js';
import { syntheticDataset } from '../../../src/data/synthetic.js';
import { unlearn } from '../../../src/unlearn/index.js';
import type { ParallelHooks } from '../../../src/train/parallel.js';

const SPEC: ModelSpec = { name: 'mlp', inChannels: 1, numClasses: 4, imageSize: 8, hiddenSizes: [16] };

export interface UnlearnOut {
  salient: number;
  weights: Record<string, number[]>;
}

/** Runs the case; `parallel` null = one process. The original starts from manualSeed(initSeed) on rank 0. */
export async function runUnlearnCase(initSeed: number, parallel: ((m: Module) => ParallelHooks) | null): Promise<UnlearnOut> {
  manualSeed(initSeed);
  const original = createModel(SPEC);
  // every rank must hold the same original: rank 0's weights are broadcast (ranks are seeded differently on purpose)
  parallel?.(original);
  const forget = syntheticDataset({ n: 32, classes: 4, size: 8, seed: 8 });
  const retain = syntheticDataset({ n: 64, classes: 4, size: 8, seed: 9 });
  const r = await unlearn(original, SPEC, { forget, retain }, {
    method: 'salun',
    options: { epochs: 2, lr: 0.05, batchSize: 16 },
    seed: 3,
    ...(parallel ? { parallel } : {}),
  });
  const weights: Record<string, number[]> = {};
  for (const [n, p] of r.model.namedParameters()) weights[n] = Array.from(p.toTypedArray() as Float32Array);
  const out = { salient: r.blocks.mask!.salient, weights };
  r.model.dispose();
  original.dispose();
  forget.dispose();
  retain.dispose();
  return out;
}
