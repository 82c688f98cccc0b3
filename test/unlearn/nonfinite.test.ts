// The NaN/Inf checks of the unlearning code that does not go through the shared trainer's step: CUFG's retain pass,
// influence unlearning's gradient sums and WoodFisher update, and the gradient accumulation behind SalUn's mask. Each
// stops the run with its clear error, frees what it made, and leaves the original model bit-identical (and in its mode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createModel, crossEntropy, manualSeed, memory, noGrad, syntheticDataset, tidy, type ModelSpec, type Tensor, type TensorDataset } from '../../src/index.js';
import { unlearn, NonFiniteLossError } from '../../src/unlearn/index.js';
import { accumulateGradients } from '../../src/unlearn/blocks/gradients.js';
import { DataLoader } from '../../src/data/loader.js';
import type { Module } from '../../src/nn/module.js';
import { baselineMemory } from '../baseline.js';

const spec: ModelSpec = { name: 'mlp', inChannels: 1, numClasses: 3, imageSize: 4, hiddenSizes: [8] };

/** Every state entry's bytes (NaN and Inf compare bit for bit). */
function bytes(m: Module): Map<string, Buffer> {
  return tidy(() => new Map([...m.stateDict()].map(([k, v]) => [k, Buffer.from((v.toTypedArray() as Float32Array).slice().buffer)])));
}

interface Case {
  original: Module;
  data: { forget: TensorDataset; retain: TensorDataset };
  dispose(): void;
}

/** A small MLP (optionally broken by `damage`) and tiny forget and retain sets. */
function setting(damage?: (params: Map<string, Tensor>) => void): Case {
  manualSeed(3);
  const original = createModel(spec);
  if (damage) noGrad(() => tidy(() => damage(new Map(original.namedParameters()))));
  const forget = syntheticDataset({ n: 12, classes: 3, channels: 1, size: 4, seed: 4 });
  const retain = syntheticDataset({ n: 24, classes: 3, channels: 1, size: 4, seed: 5 });
  return {
    original,
    data: { forget, retain },
    dispose() {
      original.dispose();
      forget.dispose();
      retain.dispose();
    },
  };
}

/** Runs `unlearn` expecting `message`; the original keeps every bit and its train/eval mode, and no tensor leaks. */
async function assertStopsCleanly(c: Case, run: Parameters<typeof unlearn>[3], message: RegExp, check?: (e: Error) => void): Promise<void> {
  const before = bytes(c.original);
  const wasTraining = c.original.training;
  const base = baselineMemory();
  await assert.rejects(unlearn(c.original, spec, c.data, run), (e: Error) => {
    assert.match(e.message, message);
    check?.(e);
    return true;
  });
  assert.deepEqual(bytes(c.original), before, 'the original model changed');
  assert.equal(c.original.training, wasTraining, "the original's train/eval mode changed");
  assert.deepEqual(memory(), base, 'the working copy and the run’s tensors are freed');
}

// Promise: CUFG's own retain pass stops a diverging run with NonFiniteLossError (what bench/sweep record as diverged).
test('CUFG with a diverging lr: NonFiniteLossError from its retain pass, the original untouched', async () => {
  const c = setting();
  try {
    await assertStopsCleanly(
      c,
      { method: 'cufg', options: { lr: 1e30, batchSize: 8, forgetBatchSize: 8 }, seed: 1 },
      /^cufg: the loss became (NaN|-?Infinity); training diverged\. Lower the learning rate \(the lr option, --lr on the command line\) or check the data; the original model is unchanged\.$/,
      (e) => assert.ok(e instanceof NonFiniteLossError, `${e.name}: a NonFiniteLossError, which bench and sweep record as a diverged run`),
    );
  } finally {
    c.dispose();
  }
});

// Promise: IU names a non-finite loss in its gradient sums instead of applying a NaN update.
test('IU on a model whose outputs are infinite: the forget gradient pass names the broken loss, the original untouched', async () => {
  const c = setting((p) => p.get('fc2.bias')!.fill_(Number.POSITIVE_INFINITY));
  try {
    await assertStopsCleanly(c, { method: 'iu', options: { batchSize: 8 } }, /^iu: the loss is (NaN|-?Infinity) on a forget batch; the model or data is broken \(NaN\/Inf\)$/);
  } finally {
    c.dispose();
  }
});

// Promise: IU refuses a non-finite WoodFisher update even when every loss was finite.
test('IU whose WoodFisher products overflow float32 (finite losses): the non-finite update is refused, the original untouched', async () => {
  // last-layer weights scaled by 1e22: the logits and losses stay finite, but the gradients' dot products overflow float32
  const c = setting((p) => p.get('fc2.weight')!.mul_(1e22));
  try {
    const losses = tidy(() => {
      c.original.eval();
      const r = [c.data.forget, c.data.retain].map((d) => crossEntropy(c.original.forward(d.images.to('float32').div(255)), d.labels).item());
      c.original.train();
      return r;
    });
    assert.ok(losses.every(Number.isFinite), `the losses are finite: ${losses.join(', ')}`);
    await assertStopsCleanly(c, { method: 'iu', options: { batchSize: 8 } }, /^iu: the WoodFisher update is not finite \(NaN\/Inf\); the model or data is broken$/);
  } finally {
    c.dispose();
  }
});

// Promise: SalUn's saliency-mask pass over the original stops on a NaN loss, and restores the original's mode.
test("SalUn on a model with a NaN weight: its mask pass stops with accumulateGradients' error, the original untouched", async () => {
  const c = setting((p) => p.get('fc1.weight')!.narrow(0, 0, 1).fill_(Number.NaN));
  try {
    await assertStopsCleanly(c, { method: 'salun', options: { epochs: 1, batchSize: 8 } }, /^accumulateGradients: the loss is NaN on a batch; the model or data is broken \(NaN\/Inf\)$/);
  } finally {
    c.dispose();
  }
});

// Promise: a gradient sum over no batch at all is an error, not a silent all-zero (or 0/0) result.
test('accumulateGradients over a loader that yields no batch: a clear error, and its sums freed', () => {
  const c = setting();
  try {
    const base = baselineMemory();
    // 12 samples, batches of 16, the last partial batch dropped: no batch at all
    const loader = new DataLoader(c.data.forget, { batchSize: 16, dropLast: true });
    assert.equal(loader.length, 0);
    assert.throws(
      () => accumulateGradients(c.original, loader, (b) => crossEntropy(c.original.forward(b.x), b.y)),
      /^Error: accumulateGradients: the data set produced no batches \(is it empty\?\)$/,
    );
    assert.deepEqual(memory(), base);
  } finally {
    c.dispose();
  }
});
