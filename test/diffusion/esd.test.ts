// ESD for a class-conditional DDPM: the target and loss against a hand computation, the timestep draw, x_t sampled
// down the DDIM sequence (checked against sampleImages), and whole runs on a tiny UNet (the frozen original's target is
// approached, the input is untouched, runs are deterministic, each x_t source is wired, inapplicable options refused).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, memory, randn, syntheticDataset, tensor, tidy } from '../../src/index.js';
import { NoiseSchedule, UNet, ddimTimesteps, esdLoss, esdTarget, esdTimestep, guidedDdimStep, sampleDown, sampleImages, timestepTensor, unlearnDiffusion, toModelRange, indicesOfClasses } from '../../src/diffusion/index.js';
import { DataLoader } from '../../src/data/loader.js';
import { Rng } from '../../src/data/random.js';
import { labelScaledStub, px } from './helpers.js';
import { baselineMemory } from '../baseline.js';

const schedule = new NoiseSchedule({ timesteps: 50 });

test('ESD target and loss: ε*(∅) − η·(ε*(c) − ε*(∅)) of the frozen model, MSE as a mean over every element', () => {
  const base = baselineMemory();
  tidy(() => {
    // stub ε(x, y) = s·x·(y + 1); null class 3, forgotten class 1: ε*(∅) = 4s·x, ε*(c) = 2s·x
    const frozen = labelScaledStub(3, 0.5);
    const model = labelScaledStub(3, 0.25);
    const x = px([[1, 2, -1]]);
    const t = timestepTensor([7]);
    const y = tensor(new BigInt64Array([1n]));
    for (const eta of [1, 2.5]) {
      // target = (1 + η)·2x − η·x = (2 + η)·x
      const target = esdTarget(frozen, x, t, y, eta);
      assert.deepEqual(target.toArray(), [[[[1, 2, -1].map((v) => (2 + eta) * v)]]]);
      // the model predicts 0.25·2·x = 0.5x: loss = mean(((2 + η) − 0.5)²·x²) = (1.5 + η)²·(1 + 4 + 1)/3
      assert.ok(Math.abs(esdLoss(model, frozen, x, t, y, eta).item() - (1.5 + eta) ** 2 * 2) < 1e-5);
    }
    // one batched pass of the frozen model: [c; ∅], no call of the trained model's labels beyond c
    assert.deepEqual(frozen.calls.at(-1), [1, 3]);
    assert.deepEqual(model.calls.at(-1), [1]);
  });
  assert.deepEqual(memory(), base);
});

test('ESD timestep: k uniform over the DDIM sequence, t uniform inside [seq[k], seq[k+1]); together t covers [0, T) evenly', () => {
  const seq = ddimTimesteps(50, 10); // 0, 5, …, 45
  const rng = new Rng(3);
  const counts = new Array<number>(50).fill(0);
  for (let i = 0; i < 20000; i++) {
    const { k, t } = esdTimestep(seq, 50, rng);
    assert.ok(t >= seq[k]! && t < (seq[k + 1] ?? 50), `t ${t} outside step ${k}`);
    counts[t]!++;
  }
  // 400 expected per timestep; a binomial sd of ≈20
  assert.ok(Math.min(...counts) > 300 && Math.max(...counts) < 500, counts.join(' '));
  // a T that the steps do not divide: the reference's range(0, T, skip) has more entries, the last interval runs to T
  const odd = ddimTimesteps(50, 3); // 0, 16, 32, 48
  for (let i = 0; i < 200; i++) {
    const { k, t } = esdTimestep(odd, 50, rng);
    assert.ok(k < 4 && t >= odd[k]! && t < (odd[k + 1] ?? 50));
  }
});

test('sampleDown: x at seq[k] by guided DDIM from noise; k = last is the noise itself, one more step from k = 0 is sampleImages', async () => {
  const base = baselineMemory();
  manualSeed(0);
  const model = new UNet('tiny');
  const seq = ddimTimesteps(50, 5);
  const y = tensor(new BigInt64Array([2n, 2n]));
  const shape = [2, 1, 8, 8];
  manualSeed(11);
  const noise = randn(shape);
  manualSeed(11);
  const top = sampleDown(model, schedule, shape, y, seq, seq.length - 1, 2);
  assert.equal(tidy(() => top.sub(noise).abs().max().item()), 0);
  model.train(true);
  manualSeed(11);
  const low = sampleDown(model, schedule, shape, y, seq, 0, 2);
  assert.equal(model.training, true, 'the mode is restored');
  const x0 = tidy(() => guidedDdimStep(model, schedule, low, y, seq, 0, 2, { eta: 0, clipX0: false }, null).clamp(-1, 1));
  const reference = await sampleImages(model, schedule, [2, 2], { steps: 5, eta: 0, clipX0: false, guidance: 2, seed: 11 });
  assert.equal(tidy(() => x0.sub(reference).abs().max().item()), 0);
  for (const t of [noise, top, low, x0, reference, y]) t.dispose();
  assert.throws(() => sampleDown(model, schedule, shape, y, seq, seq.length, 2), /k must be an index of the sequence \(0 … 4\)/);
  model.dispose();
  assert.deepEqual(memory(), base);
});

function setup(): { model: UNet; data: ReturnType<typeof syntheticDataset> } {
  manualSeed(0);
  return { model: new UNet('tiny'), data: syntheticDataset({ n: 36, classes: 3, size: 8, seed: 1 }) };
}

/** ESD's loss of `model` against the frozen `original` on fixed x_t: real class-c images noised at fixed timesteps. */
function heldOutLoss(model: UNet, original: UNet, data: ReturnType<typeof syntheticDataset>, c: number): number {
  const batch = new DataLoader(data, { batchSize: 8, indices: indicesOfClasses(data, [c]) }).batches(0).next().value!;
  try {
  return tidy(() => {
    manualSeed(99);
    const x0 = toModelRange(batch.x, 8);
    const ts = Array.from({ length: x0.shape[0]! }, (_, i) => 5 + 5 * i);
    const xt = schedule.qSample(x0, ts, randn(x0.shape));
    const y = tensor(new BigInt64Array(ts.length).fill(BigInt(c)));
    model.eval();
    original.eval();
    return esdLoss(model, original, xt, timestepTensor(ts), y, 1).item();
  });
  } finally {
    batch.dispose();
  }
}

test('ESD on a tiny UNet: the model approaches the frozen target, the input is untouched, same seed same weights', async () => {
  const base = baselineMemory();
  const { model, data } = setup();
  const before = model.stateDict({ clone: true });
  model.train(true);
  const opts = { method: 'esd', forgetClass: 1, iterations: 40, batchSize: 4, lr: 2e-3, esd: { xtSource: 'data' }, seed: 5 } as const;
  const { model: out, result } = await unlearnDiffusion(model, schedule, data, opts);
  assert.equal(model.training, true, 'the frozen original is put back in its mode');
  const startLoss = heldOutLoss(model, model, data, 1); // the original against itself: ‖(1 + η)(ε(∅) − ε(c))‖²
  const endLoss = heldOutLoss(out, model, data, 1);
  assert.ok(endLoss < 0.5 * startLoss, `ESD loss ${startLoss} → ${endLoss}`);
  assert.deepEqual(result.esd, { negativeGuidance: 1, xtSource: 'data', xtGuidance: 2, xtSteps: 50 });
  assert.equal(result.gradClip, null);
  assert.equal(result.trainable, model.numParameters());
  assert.equal(result.useRetain, false);
  assert.equal(result.alpha, undefined);
  tidy(() => {
    for (const [name, w] of model.namedParameters()) assert.equal(w.sub(before.get(name)!).abs().max().item(), 0, `${name}: input modified`);
  });
  const again = await unlearnDiffusion(model, schedule, data, opts);
  tidy(() => {
    const a = new Map(again.model.namedParameters());
    for (const [name, w] of out.namedParameters()) assert.equal(w.sub(a.get(name)!).abs().max().item(), 0, `${name}: not deterministic`);
  });
  for (const t of before.values()) t.dispose();
  out.dispose();
  again.model.dispose();
  model.dispose();
  data.dispose();
  assert.deepEqual(memory(), base);
});

test('ESD x_t sources: sampling the unlearned model and the original agree on the first step only; bad options are refused', async () => {
  const base = baselineMemory();
  const { model, data } = setup();
  const run = async (xtSource: 'unlearned' | 'original', iterations: number): Promise<UNet> =>
    (await unlearnDiffusion(model, schedule, data, { method: 'esd', forgetClass: 2, iterations, batchSize: 2, lr: 1e-2, esd: { xtSource, xtSteps: 5 }, seed: 1 })).model;
  const maxDiff = (a: UNet, b: UNet): number =>
    tidy(() => {
      const wb = new Map(b.namedParameters());
      return Math.max(...[...a.namedParameters()].map(([n, w]) => w.sub(wb.get(n)!).abs().max().item()));
    });
  // before the first step the model being trained is the original, so both sources sample the same x_t
  const [u1, o1] = [await run('unlearned', 1), await run('original', 1)];
  assert.equal(maxDiff(u1, o1), 0);
  assert.ok(maxDiff(u1, model) > 0);
  const [u4, o4] = [await run('unlearned', 4), await run('original', 4)];
  assert.ok(maxDiff(u4, o4) > 0, 'the sources must differ once the model has moved');
  for (const m of [u1, o1, u4, o4]) m.dispose();
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ condDrop: 0.1 }, /condDrop drops conditioning in the losses, which esd does not/],
    [{ esd: { xtSource: 'data', xtGuidance: 1 } }, /xtGuidance guides the sampling of x_t, which xtSource data does not do; leave it out/],
    [{ esd: { xtSource: 'data', xtSteps: 10 } }, /xtSteps counts the sampling steps of x_t, which xtSource data does not take/],
    [{ dropLast: false }, /dropLast shapes the batches of real images, which esd reads only with xtSource data/],
    [{ esd: { xtSource: 'noise' } }, /xtSource/],
    [{ esd: { xtSteps: 51 } }, /xtSteps must be an integer from 1 to the schedule's 50 steps, got 51/],
    [{ esd: { negativeGuidance: Number.NaN } }, /negativeGuidance must be a finite number/],
    [{ esd: { negativGuidance: 2 } }, /esd: unknown option 'negativGuidance'/],
    [{ alpha: 0.1 }, /alpha weighs the remaining-class loss, which esd does not have/],
  ];
  for (const [extra, message] of bad) await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'esd', forgetClass: 0, iterations: 1, ...extra } as never), message);
  await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'salun', forgetClass: 0, esd: { negativeGuidance: 2 } }), /esd applies to esd only; leave it out for salun/);
  model.dispose();
  data.dispose();
  assert.deepEqual(memory(), base);
});

