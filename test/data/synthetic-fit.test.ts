// The synthetic set is meant for fast end-to-end tests: check that a tiny CNN, trained through the DataLoader
// (shuffled, augmented with flips), fits it, and that memory stays flat across epochs of a real training loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adaptiveAvgPool2d, autograd, conv2d, crossEntropy, linear, manualSeed, memory, noGrad, randn, tidy, zeros, type Tensor } from '../../src/torch/index.js';
import { DataLoader } from '../../src/data/loader.js';
import { syntheticDataset } from '../../src/data/synthetic.js';
import { baselineMemory } from '../baseline.js';

test('a small CNN fits syntheticDataset through the loader; memory flat across epochs', () => {
  manualSeed(0);
  const train = syntheticDataset({ n: 512, classes: 10, size: 16, seed: 1 });
  const heldOut = syntheticDataset({ n: 200, classes: 10, size: 16, seed: 2 });
  // built inside tidy: randn's intermediate results are freed here, not left to the garbage collector, whose
  // finalizers (run inside any GC) would change memory() between the baseline and the checks below
  const params: Tensor[] = tidy(() => [
    randn([8, 1, 3, 3]).mul(0.3).requiresGrad_(),
    zeros([8]).requiresGrad_(),
    randn([10, 8 * 4 * 4]).mul(0.05).requiresGrad_(),
    zeros([10]).requiresGrad_(),
  ]);
  const forward = (x: Tensor) => {
    const [w1, b1, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
    const h = adaptiveAvgPool2d(conv2d(x, w1, b1, { padding: 1 }).relu(), 4).flatten(1);
    return linear(h, w2, b2);
  };
  const loader = new DataLoader(train, { batchSize: 32, shuffle: true, seed: 3 });
  let baseline = baselineMemory();
  for (let epoch = 0; epoch < 4; epoch++) {
    for (const batch of loader) {
      tidy(() => {
        const loss = crossEntropy(forward(batch.x), batch.y);
        const grads = autograd.grad(loss, params);
        noGrad(() => params.forEach((p, i) => p.sub_(grads[i]!, 0.5)));
      });
      batch.dispose();
    }
    if (epoch === 0) baseline = baselineMemory();
    else assert.deepEqual(memory(), baseline, `memory grew in epoch ${epoch}`);
  }
  let correct = 0;
  for (const batch of new DataLoader(heldOut, { batchSize: 100 })) {
    correct += tidy(() => noGrad(() => forward(batch.x).argmax(1).eq(batch.y).sum().item()));
    batch.dispose();
  }
  assert.ok(correct / 200 >= 0.95, `held-out accuracy ${correct / 200}`);
  for (const p of params) p.dispose();
  train.dispose();
  heldOut.dispose();
});
