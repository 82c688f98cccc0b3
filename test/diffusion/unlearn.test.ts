// Diffusion unlearning on a tiny UNet: SalUn's mask keeps non-salient weights bit-identical, SEMU's weight change
// lies in U·R·Vh of the forget-gradient SVD, FT/GA move the weights; the input model is never modified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, memory, syntheticDataset, tidy, type Tensor } from '../../src/index.js';
import { DDPM_SUBSPACE, NoiseSchedule, UNet, unlearnDiffusion, diffusionGradients, diffusionSaliencyMasks, indicesOfClasses } from '../../src/diffusion/index.js';
import { maskFromGradients, maskFromTensors } from '../../src/unlearn/blocks/saliency.js';
import { disposeGradients } from '../../src/unlearn/blocks/gradients.js';
import { SvdSubspace } from '../../src/unlearn/blocks/subspace.js';
import { baselineMemory } from '../baseline.js';

const schedule = new NoiseSchedule({ timesteps: 50 });

function setup(): { model: UNet; data: ReturnType<typeof syntheticDataset>; before: Map<string, Tensor> } {
  manualSeed(0);
  const model = new UNet('tiny');
  const data = syntheticDataset({ n: 36, classes: 3, size: 8, seed: 1 });
  const before = model.stateDict({ clone: true });
  return { model, data, before };
}

function teardown(model: UNet, data: { dispose(): void }, before: Map<string, Tensor>, ...others: { dispose(): void }[]): void {
  model.dispose();
  data.dispose();
  for (const t of before.values()) t.dispose();
  for (const o of others) o.dispose();
}

test('SalUn: weights outside the saliency mask stay bit-identical; salient ones move; the input is untouched', async () => {
  const base = baselineMemory();
  const { model, data, before } = setup();
  const forgetIdx = indicesOfClasses(data, [1]);
  const grads = diffusionGradients(model, schedule, data, forgetIdx, { seed: 4 });
  const mask = maskFromGradients(grads, 0.5);
  disposeGradients(grads);
  const opts = { method: 'salun' as const, forgetClass: 1, iterations: 3, batchSize: 6, lr: 1e-2, seed: 4 };
  const { model: out, result } = await unlearnDiffusion(model, schedule, data, { ...opts, mask });
  const { model: out2 } = await unlearnDiffusion(model, schedule, data, opts); // builds the same mask itself
  let frozen = 0;
  let moved = 0;
  tidy(() => {
    const after = new Map(out.namedParameters());
    const after2 = new Map(out2.namedParameters());
    for (const [name, w0] of before) {
      const m = mask.require(name);
      const w = after.get(name)!;
      const keep = m.eq(0);
      assert.equal(w.ne(w0).logicalAnd(keep).sum().item(), 0, `${name}: a masked-out weight moved`);
      frozen += keep.sum().item();
      moved += w.ne(w0).logicalAnd(m.eq(1)).sum().item();
      assert.equal(w.sub(after2.get(name)!).abs().max().item(), 0, `${name}: the internally built mask differs`);
      // the input model is unchanged
      assert.equal(new Map(model.namedParameters()).get(name)!.sub(w0).abs().max().item(), 0, `${name}: input modified`);
    }
  });
  assert.ok(frozen > 0 && moved > 0.3 * mask.count(), `frozen ${frozen}, moved ${moved} of ${mask.count()}`);
  assert.equal(result.trainable, mask.count());
  assert.equal(result.useRetain, true);
  assert.equal(result.alpha, 1e-3, 'the default weight of the remaining-class loss');
  assert.equal(result.lossHistory.length, 1);
  teardown(model, data, before, out, out2, mask);
  assert.deepEqual(memory(), base);
});

test('SEMU: every Conv2d/Linear weight change lies in span U·R·Vh (per input channel for convs); nothing else moves', async () => {
  const base = baselineMemory();
  const { model, data, before } = setup();
  const { model: out, result } = await unlearnDiffusion(model, schedule, data, { method: 'semu', forgetClass: 2, iterations: 3, batchSize: 6, lr: 1e-2, seed: 7 });
  // rebuild the same subspace: same gradient pass (seeded), same SVD
  const grads = diffusionGradients(model, schedule, data, indicesOfClasses(data, [2]), { seed: 7 });
  const sub = SvdSubspace.fromGradients(model, grads, DDPM_SUBSPACE); // the DDPM reference: per-channel ranks
  disposeGradients(grads);
  assert.equal(result.trainable, sub.trainableCount());
  assert.deepEqual(result.ranks, sub.ranks());
  assert.equal(result.useRetain, false);
  assert.equal(result.alpha, undefined, 'no remaining-class term, no weight recorded');
  const adapted = new Set(sub.layers.map((l) => l.name));
  let changed = 0;
  tidy(() => {
    const after = new Map(out.namedParameters());
    for (const l of sub.layers) {
      const dw = after.get(l.name)!.sub(before.get(l.name)!);
      let proj: Tensor;
      if (l.kind === 'linear') {
        proj = l.u.mm(l.u.t()).mm(dw).mm(l.vh.t()).mm(l.vh);
      } else {
        const [o, i, kh, kw] = dw.shape as [number, number, number, number];
        const d = dw.permute(1, 0, 2, 3).reshape(i, o, kh * kw); // per input channel: out × (kh·kw)
        proj = l.u.bmm(l.u.transpose(1, 2)).bmm(d).bmm(l.vh.transpose(1, 2)).bmm(l.vh).reshape(i, o, kh, kw).permute(1, 0, 2, 3);
      }
      const norm = dw.norm().item();
      if (norm > 0) changed++;
      assert.ok(dw.sub(proj).norm().item() <= 1e-5 * (1 + norm), `${l.name}: the change leaves the subspace (${dw.sub(proj).norm().item()} of ${norm})`);
    }
    for (const [name, w0] of before) {
      if (!adapted.has(name)) assert.equal(after.get(name)!.sub(w0).abs().max().item(), 0, `${name} is not adapted but moved`);
    }
  });
  assert.ok(changed > sub.layers.length / 2, `${changed} of ${sub.layers.length} layers changed`);
  teardown(model, data, before, out, sub);
  assert.deepEqual(memory(), base);
});

test('FT and GA baselines move the weights; GA ascends (its loss is the negated diffusion loss)', async () => {
  const base = baselineMemory();
  const { model, data, before } = setup();
  const ft = await unlearnDiffusion(model, schedule, data, { method: 'ft', forgetClass: 0, iterations: 2, batchSize: 6, lr: 1e-3 });
  const ga = await unlearnDiffusion(model, schedule, data, { method: 'ga', forgetClass: 0, iterations: 2, batchSize: 6, lr: 1e-3 });
  assert.ok(ga.result.lossHistory[0]! < 0);
  // the reference's GA keeps its loop's α · retain loss: −L(D_f) + α·L(D_r); a large α makes the first loss positive
  assert.equal(ga.result.useRetain, true);
  assert.equal(ga.result.alpha, 1e-3);
  assert.equal(ft.result.alpha, undefined, 'ft trains on the remaining classes without a weight');
  const opts = { method: 'ga', forgetClass: 0, iterations: 1, batchSize: 6, lr: 1e-3 } as const;
  const alone = await unlearnDiffusion(model, schedule, data, { ...opts, useRetain: false });
  const heavy = await unlearnDiffusion(model, schedule, data, { ...opts, alpha: 1e3 });
  assert.ok(alone.result.lossHistory[0]! < 0 && heavy.result.lossHistory[0]! > 0, `${alone.result.lossHistory[0]} and ${heavy.result.lossHistory[0]}`);
  alone.model.dispose();
  heavy.model.dispose();
  assert.ok(ft.result.lossHistory[0]! > 0);
  assert.equal(ft.result.trainable, model.numParameters());
  tidy(() => {
    for (const r of [ft, ga]) {
      const w = new Map(r.model.namedParameters()).get('conv_out.weight')!;
      assert.ok(w.sub(before.get('conv_out.weight')!).abs().max().item() > 0);
    }
  });
  await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'ft', forgetClass: 3 }), /forgetClass must be a class in \[0, 3\)/);
  await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'nope' as 'ft', forgetClass: 0 }), /unknown diffusion unlearning method 'nope'/);
  // an option the method would ignore is refused, before any work
  await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'ft', forgetClass: 0, alpha: 0.1 }), /alpha weighs the remaining-class loss, which ft does not have/);
  await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'ga', forgetClass: 0, useRetain: false, alpha: 0.1 }), /ga does not add with useRetain false/);
  await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'ft', forgetClass: 0, useRetain: true }), /useRetain applies to salun, semu and ga only/);
  await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'ft', forgetClass: 0, maskRatio: 0.3 }), /maskRatio applies to salun only/);
  await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'salun', forgetClass: 0, useRetain: false, alpha: 0.1 }), /salun does not add with useRetain false/);
  // a precomputed mask that is gone, or selects nothing, is refused before any work
  const none = maskFromTensors(model, new Map());
  await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'salun', forgetClass: 0, mask: none }), /mask: the precomputed mask selects no weight; nothing could change/);
  none.dispose();
  await assert.rejects(unlearnDiffusion(model, schedule, data, { method: 'salun', forgetClass: 0, mask: none }), /mask: the precomputed mask was disposed; pass a live one/);
  // misspelt names and out-of-range values, named, before any work (a misspelt iterations ran the default 100 steps)
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ method: 'ga', forgetClass: 0, iteration: 3 }, /unlearnDiffusion: unknown option 'iteration'; the options are method, forgetClass, iterations/],
    [{ method: 'semu', forgetClass: 0, subspace: { gama: 0.5 } }, /subspace: unknown option 'gama'/],
    [{ method: 'salun', forgetClass: 0, gradientSamples: -2 }, /gradientSamples must be a positive integer, got -2/],
    [{ method: 'ft', forgetClass: 0, lr: 1e40 }, /lr must be positive and within float32's range, got 1e\+40/],
    [{ method: 'salun', forgetClass: 0, gradientGuidance: Number.NaN }, /gradientGuidance must be a finite weight, got NaN/],
    [{ method: 'ft', forgetClass: 0, batchSize: 2.5 }, /batchSize must be a positive integer, got 2.5/],
    [{ method: 'semu', forgetClass: 0, subspace: { fullRank: 'nolayer' } }, /fullRank 'nolayer' matches no Conv2d or Linear layer/],
  ];
  for (const [o, message] of bad) await assert.rejects(unlearnDiffusion(model, schedule, data, o as never), message, JSON.stringify(o));
  // masks alone check the same gradient-pass settings as a run does
  assert.throws(() => diffusionSaliencyMasks(model, schedule, data, 0, [0.5], { gradientSamples: 0 }), /gradientSamples must be a positive integer, got 0/);
  assert.throws(() => diffusionSaliencyMasks(model, schedule, data, 0, [0.5], { gradientGuidance: Number.POSITIVE_INFINITY }), /gradientGuidance must be a finite weight, got Infinity/);
  teardown(model, data, before, ft.model, ga.model);
  assert.deepEqual(memory(), base);
});
