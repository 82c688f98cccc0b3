// The asynchronous evaluations give the synchronous ones' numbers to the bit, and they stop at a signal: the
// command line uses them so that Ctrl-C is seen during the minutes a full-scale evaluation takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticDataset } from '../../src/data/index.js';
import { createModel } from '../../src/models/index.js';
import { evaluateUnlearning, evaluateUnlearningAsync } from '../../src/eval/evaluate.js';
import { evaluateSplit, evaluateSplitAsync } from '../../src/eval/outputs.js';
import { manualSeed, memory } from '../../src/torch/index.js';
import { baselineMemory } from '../baseline.js';

function setup() {
  manualSeed(4);
  const model = createModel({ name: 'mlp', inChannels: 1, numClasses: 3, imageSize: 4, hiddenSizes: [8] });
  const sets = {
    forget: syntheticDataset({ n: 40, classes: 3, channels: 1, size: 4, seed: 1 }),
    retain: syntheticDataset({ n: 120, classes: 3, channels: 1, size: 4, seed: 2 }),
    test: syntheticDataset({ n: 60, classes: 3, channels: 1, size: 4, seed: 3 }),
  };
  const dispose = (): void => {
    model.dispose();
    for (const d of Object.values(sets)) d.dispose();
  };
  return { model, sets, dispose };
}

test('evaluateSplitAsync and evaluateUnlearningAsync: the synchronous results, to the bit', async () => {
  const { model, sets, dispose } = setup();
  const a = evaluateSplit(model, sets.retain, { batchSize: 8 });
  const b = await evaluateSplitAsync(model, sets.retain, { batchSize: 8 });
  assert.deepEqual(b, a);
  const r = evaluateUnlearning(model, sets, { batchSize: 8, reference: { UA: 10, RA: 90, TA: 80, MIA: 20 } });
  const s = await evaluateUnlearningAsync(model, sets, { batchSize: 8, reference: { UA: 10, RA: 90, TA: 80, MIA: 20 } });
  assert.deepEqual(s, r);
  dispose();
});

test('an aborted signal stops the evaluation after a batch: it rejects, the model\u2019s mode is restored, nothing leaks', async () => {
  const { model, sets, dispose } = setup();
  model.train();
  const base = baselineMemory();
  const before = new AbortController();
  before.abort();
  await assert.rejects(evaluateUnlearningAsync(model, sets, { signal: before.signal }), { name: 'AbortError' });
  // aborted while it runs: 15 batches of 8 retain images; the abort lands at its first yield to the event loop
  const during = new AbortController();
  setImmediate(() => during.abort());
  // (had it run to its end it would have resolved)
  await assert.rejects(evaluateSplitAsync(model, sets.retain, { batchSize: 8, signal: during.signal }), { name: 'AbortError' });
  assert.equal(model.training, true, 'train mode restored');
  assert.deepEqual(memory(), base, 'no batch or output tensor outlives the aborted evaluation');
  dispose();
});
