// bs (boundary shrink) and be (boundary expanding), with ga as the forget-only baseline they are compared with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { unlearn } from '../../src/unlearn/index.js';
import { fgsm, pruneHead } from '../../src/unlearn/methods/boundary.js';
import { ImageClassifier } from '../../src/models/index.js';
import { evaluateSplit } from '../../src/eval/outputs.js';
import { DataLoader } from '../../src/data/loader.js';
import { noGrad, tidy } from '../../src/torch/index.js';
import { accuracies, assertMemory, assertUnchanged, makeFixture, snapshot, type Fixture } from './methods-fixture.js';
import { baselineMemory } from '../baseline.js';

let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(() => f.dispose());

async function run(method: string, options: Record<string, unknown>) {
  const snap = snapshot(f.original);
  const base = baselineMemory();
  const r = await unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method, options, seed: 3 });
  const acc = accuracies(r.model, f);
  const numClasses = (r.model as ImageClassifier).numClasses;
  const specClasses = (r.model as ImageClassifier).spec.numClasses;
  const trained = { count: r.trainableParams, modelSize: r.model.numParameters(), originalSize: f.original.numParameters() };
  r.model.dispose();
  assertUnchanged(f.original, snap, method);
  assertMemory(base, method);
  return { acc, numClasses, specClasses, trained };
}

test('ga lowers the forget accuracy (the baseline bs and be are compared with)', async () => {
  const { acc } = await run('ga', { lr: 0.05, batchSize: 8 });
  // measured: forget 45.8, retain 44.8
  assert.ok(acc.forget < 70, `ga forget accuracy ${acc.forget}`);
});

test('fgsm: one signed-gradient step of size ε, clipped to [0, 1] and quantised to 1/255; the model gets no gradient', () => {
  const base = baselineMemory();
  tidy(() => {
    const batch = new DataLoader(f.forget, { batchSize: 24 }).batch(Array.from({ length: 24 }, (_, i) => i));
    const model = f.original.clone(); // a clone carries no .grad from pretraining
    const adv = fgsm(model, batch.x, batch.y, 0.1);
    const x = batch.x.toTypedArray() as Float32Array;
    const a = adv.toTypedArray() as Float32Array;
    let moved = 0;
    for (let i = 0; i < x.length; i++) {
      assert.ok(a[i]! >= 0 && a[i]! <= 1, 'clipped to [0, 1]');
      assert.ok(Math.abs(a[i]! * 255 - Math.round(a[i]! * 255)) < 1e-4, 'on the 1/255 grid');
      assert.ok(Math.abs(a[i]! - x[i]!) <= 0.1 + 0.5 / 255 + 1e-6, 'at most ε away (plus rounding)');
      if (Math.abs(a[i]! - x[i]!) > 0.09) moved++;
    }
    assert.ok(moved > x.length / 2, `most pixels move by ≈ε (${moved}/${x.length})`);
    assert.equal([...model.parameters()].every((p) => p.grad === null), true, 'no parameter gradient was accumulated');
    model.dispose();
    batch.dispose();
  });
  assertMemory(base, 'fgsm');
});

test('bs lowers the forget accuracy; the original is bit-identical afterwards', async () => {
  const { acc } = await run('bs', { lr: 0.01, batchSize: 8 });
  // measured: forget 8.3, retain 90.6, test 46.3
  assert.ok(acc.forget < 50, `bs forget accuracy ${acc.forget}`);
  assert.ok(acc.retain > 70, `bs keeps most of the retain accuracy (${acc.retain})`);
});

test('be lowers the forget accuracy and returns C outputs; keepShadow returns C + 1 (the reference quirk)', async () => {
  const pruned = await run('be', { lr: 0.01, batchSize: 8 });
  // measured: forget 58.3, retain 86.5
  assert.ok(pruned.acc.forget < 80, `be forget accuracy ${pruned.acc.forget}`);
  assert.equal(pruned.numClasses, 4);
  assert.equal(pruned.specClasses, 4);
  const shadow = await run('be', { lr: 0.01, batchSize: 8, keepShadow: true });
  assert.equal(shadow.numClasses, 5);
  assert.equal(shadow.specClasses, 5);
  // the trained entries are those of the returned model: all of the original's when pruned (never more than 100%),
  // one shadow row more with keepShadow
  assert.deepEqual(pruned.trained, { count: pruned.trained.originalSize, modelSize: pruned.trained.originalSize, originalSize: pruned.trained.originalSize });
  assert.equal(shadow.trained.count, shadow.trained.modelSize);
  assert.ok(shadow.trained.modelSize > shadow.trained.originalSize);
  // without pruning, the forget samples go to the shadow class: none is classified correctly any more
  assert.ok(shadow.acc.forget < pruned.acc.forget, `shadow ${shadow.acc.forget} vs pruned ${pruned.acc.forget}`);
});

test('be with no training steps returns logits equal to the original\u2019s (expansion and pruning preserve the C rows)', async () => {
  const base = baselineMemory();
  const r = await unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method: 'be', options: { epochs: 0 } });
  const a = evaluateSplit(r.model, f.test);
  const b = evaluateSplit(f.original, f.test);
  assert.deepEqual(a.probs, b.probs);
  r.model.dispose();
  assertMemory(base, 'be epochs 0');
});

test('pruneHead keeps the first rows exactly and rejects a bad class count', () => {
  const base = baselineMemory();
  const m = f.original.clone();
  const before = tidy(() => noGrad(() => m.head.weight.narrow(0, 0, 2).toTypedArray() as Float32Array));
  pruneHead(m, 2);
  assert.equal(m.numClasses, 2);
  assert.equal(m.spec.numClasses, 2);
  assert.deepEqual(tidy(() => m.head.weight.toTypedArray() as Float32Array), before);
  assert.throws(() => pruneHead(m, 3), /numClasses must be in \[1, 2\]/);
  m.dispose();
  assertMemory(base, 'pruneHead');
});
