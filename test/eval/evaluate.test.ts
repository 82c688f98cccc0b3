// UA, RA, TA, per-class accuracy, Avg.Gap and the MIA-size warning on hand-built cases: a "model" whose
// prediction is written into each image's single pixel, so every accuracy is known in advance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Module } from '../../src/nn/module.js';
import { TensorDataset } from '../../src/data/dataset.js';
import { evaluateUnlearning } from '../../src/eval/evaluate.js';
import { evaluateSplit, NonFiniteOutputError, perClassAccuracy } from '../../src/eval/outputs.js';
import { memory, oneHot, type Tensor } from '../../src/index.js';
import { baselineMemory } from '../baseline.js';

const C = 3;

/** Predicts the class stored in the pixel (x = k/255 → class k) with confidence softmax([5·onehot]). */
class PixelOracle extends Module {
  forward(x: Tensor): Tensor {
    const k = x.flatten(1).mul(255).round().long().squeeze(1);
    return oneHot(k, C).to('float32').mul(5);
  }
}

function dataset(name: string, predicted: number[], labels: number[]): TensorDataset {
  return TensorDataset.fromArrays({ pixels: Uint8Array.from(predicted), shape: [predicted.length, 1, 1, 1], labels, numClasses: C, name });
}

test('UA, RA, TA and per-class accuracy equal the hand-counted values', () => {
  const base = baselineMemory();
  const model = new PixelOracle();
  // forget: 1 of 4 right → accuracy 25, UA 75; retain: 5 of 6 right; test: 3 of 4 right, class 2 half right
  const forget = dataset('forget', [0, 1, 2, 0], [0, 0, 0, 1]);
  const retain = dataset('retain', [0, 1, 2, 0, 1, 2], [0, 1, 2, 0, 1, 1]);
  const test = dataset('test', [0, 1, 1, 2], [0, 1, 2, 2]);
  const r = evaluateUnlearning(model, { forget, retain, test }, { reference: { UA: 70, RA: 80, TA: 75, MIA: 0 } });
  assert.equal(r.UA, 75);
  assert.ok(Math.abs(r.RA - (500 / 6)) < 1e-9);
  assert.equal(r.TA, 75);
  assert.deepEqual(r.perClassTest, [100, 100, 50]);
  assert.ok(Math.abs(r.avgGap! - (5 + (500 / 6 - 80) + 0 + r.MIA) / 4) < 1e-9);
  assert.deepEqual(r.sizes, { forget: 4, retain: 6, test: 4 });
  assert.deepEqual(r.warnings, []);
  const split = evaluateSplit(model, test, { batchSize: 3 });
  assert.deepEqual([...split.predictions], [0, 1, 1, 2]);
  assert.deepEqual(perClassAccuracy(split), [100, 100, 50]);
  for (const d of [forget, retain, test]) d.dispose();
  assert.deepEqual(memory(), base);
});

test('an MIA with fewer members than non-members is flagged', () => {
  const model = new PixelOracle();
  const forget = dataset('forget', [0, 1], [0, 1]);
  const retain = dataset('retain', [0, 1, 2], [0, 1, 2]);
  const test = dataset('test', [0, 1, 2, 0, 1], [0, 1, 2, 1, 0]);
  const r = evaluateUnlearning(model, { forget, retain, test });
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!, /only 3/);
  for (const d of [forget, retain, test]) d.dispose();
});

test('a model whose outputs overflow (blown-up weights) is reported as diverged, not as a broken MIA', () => {
  const base = baselineMemory();
  // logits of ±inf (weights that blew up without a NaN loss): softmax gives NaN
  class Overflowed extends Module {
    forward(x: Tensor): Tensor {
      return oneHot(x.flatten(1).mul(255).round().long().squeeze(1), C).to('float32').mul(2).sub(1).mul(Infinity);
    }
  }
  const d = dataset('forget', [0, 1, 2], [0, 1, 2]);
  assert.throws(() => evaluateSplit(new Overflowed(), d), (e: Error) => e instanceof NonFiniteOutputError && /outputs are not finite.*diverged.*Lower the learning rate \(the lr option, --lr on the command line; for iu, whose one step alpha scales, lower alpha\)/.test(e.message));
  d.dispose();
  assert.deepEqual(memory(), base);
});

test('labels beyond the model\u2019s outputs are an error naming both, not a quietly low accuracy or a NaN MIA', () => {
  const base = baselineMemory();
  const wide = TensorDataset.fromArrays({ pixels: Uint8Array.from([0, 1, 2]), shape: [3, 1, 1, 1], labels: [0, 1, 4], numClasses: 5, name: 'wide' });
  assert.throws(() => evaluateSplit(new PixelOracle(), wide), /evaluateSplit: 'wide' has label 4, but the model has only 3 outputs/);
  wide.dispose();
  assert.deepEqual(memory(), base);
});
