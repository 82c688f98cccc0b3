// retrain (a fresh model on D_r) and iu (the WoodFisher one-shot update), through the runner.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { unlearn } from '../../src/unlearn/index.js';
import { TensorDataset } from '../../src/data/dataset.js';
import { createModel } from '../../src/models/index.js';
import { manualSeed } from '../../src/torch/index.js';
import { accuracies, assertMemory, assertUnchanged, flatParams, makeFixture, PRETRAIN, snapshot, type Fixture } from './methods-fixture.js';
import { baselineMemory } from '../baseline.js';

let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(() => f.dispose());

test('fixture: the original memorises D_f, a model that never saw D_f does not', () => {
  const a = accuracies(f.original, f);
  assert.equal(a.forget, 100);
  assert.equal(a.retain, 100);
  assert.ok(a.test < 70, `test accuracy ${a.test} should be far below 100 (a hard task)`);
});

test('retrain: a fresh model on D_r; forget accuracy ≈ test accuracy, far below the original; original untouched', async () => {
  const snap = snapshot(f.original);
  const base = baselineMemory();
  const events: string[] = [];
  const r = await unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, {
    method: 'retrain',
    options: { epochs: PRETRAIN.epochs, lr: PRETRAIN.lr, batchSize: PRETRAIN.batchSize, schedule: 'constant' },
    seed: 1,
    progress: (e) => events.push(e.phase),
  });
  const a = accuracies(r.model, f);
  // measured: forget 54.2, retain 100, test 55.7
  assert.equal(a.retain, 100);
  assert.ok(Math.abs(a.forget - a.test) < 12, `forget ${a.forget} should be close to test ${a.test}`);
  assert.ok(a.forget < 75, `forget accuracy ${a.forget} should be far below the original's 100`);
  assert.ok(events.filter((p) => p === 'retrain').length >= 40, 'fit reports progress per batch');
  // the same seed gives the same fresh model
  const again = await unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method: 'retrain', options: { epochs: 2, batchSize: 16 }, seed: 5 });
  manualSeed(5);
  const fresh = createModel(f.spec);
  assert.notDeepEqual(flatParams(again.model), flatParams(fresh), 'retrain trained the fresh model');
  fresh.dispose();
  again.model.dispose();
  r.model.dispose();
  assertUnchanged(f.original, snap, 'retrain');
  assertMemory(base, 'retrain');
});

test('retrain: an abort stops it with the original untouched and nothing leaked', async () => {
  const snap = snapshot(f.original);
  const base = baselineMemory();
  const ac = new AbortController();
  let batches = 0;
  await assert.rejects(
    unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, {
      method: 'retrain',
      options: { epochs: 5, batchSize: 16 },
      signal: ac.signal,
      progress: (e) => {
        if (e.phase === 'retrain' && e.batch !== undefined && ++batches === 3) ac.abort();
      },
    }),
    (e: Error) => e.name === 'AbortError',
  );
  assert.equal(batches, 3, 'no progress after the abort (fit stops at its next batch callback)');
  assertUnchanged(f.original, snap, 'aborted retrain');
  assertMemory(base, 'aborted retrain');
});

/** A 4-pixel, 3-class linear softmax model and its data, small enough to compute IU by hand. */
function tinyCase(): { spec: { name: 'mlp'; inChannels: number; numClasses: number; imageSize: number; hiddenSizes: number[] }; forget: TensorDataset; retain: TensorDataset } {
  const spec = { name: 'mlp' as const, inChannels: 1, numClasses: 3, imageSize: 2, hiddenSizes: [] };
  const pix = (rows: number[][]) => Uint8Array.from(rows.flat());
  const forget = TensorDataset.fromArrays({ pixels: pix([[255, 0, 40, 90], [10, 200, 30, 0], [60, 60, 250, 5]]), shape: [3, 1, 2, 2], labels: [0, 1, 2], numClasses: 3, name: 'tiny-forget' });
  const retain = TensorDataset.fromArrays({
    pixels: pix([[200, 20, 0, 70], [0, 255, 100, 30], [80, 10, 220, 160], [120, 130, 140, 150], [5, 250, 15, 35], [240, 30, 60, 0]]),
    shape: [6, 1, 2, 2],
    labels: [0, 1, 2, 1, 1, 0],
    numClasses: 3,
    name: 'tiny-retain',
  });
  return { spec, forget, retain };
}

/** IU computed independently in float64: per-sample softmax-regression gradients, the sums, the recursion. */
function referenceIU(theta: Float64Array, forget: TensorDataset, retain: TensorDataset, N: number): Float64Array {
  const C = 3;
  const D = 4;
  const P = C * D + C;
  const sampleGrad = (x: number[], y: number): Float64Array => {
    const logits = Array.from({ length: C }, (_, c) => theta[C * D + c]! + x.reduce((s, xi, i) => s + theta[c * D + i]! * xi, 0));
    const m = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - m));
    const z = e.reduce((a, b) => a + b, 0);
    const g = new Float64Array(P);
    for (let c = 0; c < C; c++) {
      const d = e[c]! / z - (c === y ? 1 : 0);
      for (let i = 0; i < D; i++) g[c * D + i] = d * x[i]!;
      g[C * D + c] = d;
    }
    return g;
  };
  const samples = (ds: TensorDataset) => {
    const px = ds.images.toTypedArray() as Uint8Array;
    const ys = ds.labelArray();
    return Array.from(ys, (y, n) => ({ x: Array.from(px.subarray(n * D, n * D + D), (v) => v / 255), y }));
  };
  const sum = (ds: TensorDataset) => samples(ds).reduce((acc, s) => acc.map((a, i) => a + sampleGrad(s.x, s.y)[i]!), new Float64Array(P));
  const nf = forget.size;
  const nr = retain.size;
  const gf = sum(forget);
  const gr = sum(retain);
  const k = gf.map((g, i) => g / (nf + nr) - (nf / ((nf + nr) * nr)) * gr[i]!);
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);
  let o: Float64Array | null = null;
  samples(retain).forEach((s, idx) => {
    if (idx > N + 1) return; // the reference returns after processing idx = N + 1
    const g = sampleGrad(s.x, s.y);
    if (o === null) {
      o = g;
      return;
    }
    const t: number = dot(o, g);
    const kg = dot(k, g);
    const oo: Float64Array = o;
    for (let i = 0; i < P; i++) k[i] = k[i]! - (kg / (N + t)) * oo[i]!;
    o = oo.map((v) => v - (t / (N + t)) * v);
  });
  return k;
}

for (const N of [2, 1000]) {
  test(`iu: the update is exactly α·k of the WoodFisher recursion (hand-computed, N = ${N}: ${N === 2 ? 'stops after 4 of 6 retain samples' : 'reads all 6'})`, async () => {
    const { spec, forget, retain } = tinyCase();
    manualSeed(7);
    const model = createModel(spec);
    const theta = flatParams(model);
    const snap = snapshot(model);
    const base = baselineMemory();
    const alpha = 0.5;
    const r = await unlearn(model, spec, { forget, retain }, { method: 'iu', options: { alpha, woodfisherN: N, batchSize: 2 } });
    const after = flatParams(r.model);
    const k = referenceIU(theta, forget, retain, N);
    let maxK = 0;
    for (let i = 0; i < k.length; i++) {
      maxK = Math.max(maxK, Math.abs(alpha * k[i]!));
      assert.ok(Math.abs(after[i]! - theta[i]! - alpha * k[i]!) < 2e-6, `entry ${i}: Δθ ${after[i]! - theta[i]!} vs α·k ${alpha * k[i]!}`);
    }
    assert.ok(maxK > 1e-3, `the update is not negligible (max |α·k| = ${maxK})`);
    // with N = 2 the recursion changes k visibly; without it (k = v) the check above would fail
    r.model.dispose();
    assertUnchanged(model, snap, 'iu');
    assertMemory(base, 'iu');
    model.dispose();
    forget.dispose();
    retain.dispose();
  });
}

test('iu: on the fixture it moves the weights by α·k only (α scales the update linearly), original untouched', async () => {
  const snap = snapshot(f.original);
  const base = baselineMemory();
  const theta = flatParams(f.original);
  const r1 = await unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method: 'iu', options: { alpha: 1 } });
  const r3 = await unlearn(f.original, f.spec, { forget: f.forget, retain: f.retain }, { method: 'iu', options: { alpha: 3 } });
  const d1 = flatParams(r1.model).map((v, i) => v - theta[i]!);
  const d3 = flatParams(r3.model).map((v, i) => v - theta[i]!);
  const norm = Math.sqrt(d1.reduce((s, v) => s + v * v, 0));
  assert.ok(norm > 0, 'iu changed the weights');
  for (let i = 0; i < d1.length; i++) assert.ok(Math.abs(d3[i]! - 3 * d1[i]!) < 1e-6 + 1e-4 * Math.abs(d3[i]!), `entry ${i}: ${d3[i]} vs 3 × ${d1[i]}`);
  r1.model.dispose();
  r3.model.dispose();
  assertUnchanged(f.original, snap, 'iu');
  assertMemory(base, 'iu fixture');
});
