// The reusable unlearning blocks, checked against values computed independently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, cat, manualSeed, memory, noGrad, randn, tensor, tidy, linalg, type Tensor } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { maskFromGradients } from '../../src/unlearn/blocks/saliency.js';
import { SvdSubspace, subspaceWeights } from '../../src/unlearn/blocks/subspace.js';
import { correctGradients } from '../../src/unlearn/blocks/corrector.js';
import { Curriculum, curriculumFromScores } from '../../src/unlearn/blocks/curriculum.js';
import { baselineMemory } from '../baseline.js';

test('saliency mask: exactly floor(ratio·N) ones, on the largest |G| over all tensors', () => {
  const before = baselineMemory();
  manualSeed(3);
  const grads = new Map<string, Tensor>([
    ['a', randn([7, 5])],
    ['b', randn([13])],
    ['c', randn([2, 3, 3])],
  ]);
  const all = [...grads.values()].flatMap((g) => [...(g.toTypedArray() as Float32Array)].map(Math.abs));
  for (const ratio of [0.1, 0.5, 0.77, 1]) {
    const mask = maskFromGradients(grads, ratio);
    const k = Math.floor(all.length * ratio);
    assert.equal(mask.count(), k);
    const threshold = [...all].sort((x, y) => y - x)[k - 1]!;
    for (const [name, g] of grads) {
      const m = mask.require(name).toTypedArray() as Float32Array;
      const v = g.toTypedArray() as Float32Array;
      m.forEach((bit, i) => assert.equal(bit === 1, Math.abs(v[i]!) >= threshold, `${name}[${i}] at ratio ${ratio}`));
    }
    mask.dispose();
  }
  assert.throws(() => maskFromGradients(grads, 0), /ratio must be in \(0, 1\]/);
  for (const g of grads.values()) g.dispose();
  assert.deepEqual(memory(), before);
});

test('SVD subspace: pulled core gradients equal autograd through W = W0 + U R Vh; updates stay in the span', () => {
  const before = baselineMemory();
  manualSeed(5);
  const model = createModel({ name: 'smallcnn', inChannels: 1, numClasses: 3, imageSize: 8 });
  const weights = subspaceWeights(model);
  assert.deepEqual(weights.map(([n]) => n), ['conv1.weight', 'conv2.weight', 'fc1.weight', 'fc2.weight']);
  const grads = new Map(weights.map(([n, w]) => [n, randn(w.shape)] as [string, Tensor]));
  const sub = SvdSubspace.fromGradients(model, grads, { gamma: 0.9 });
  for (const g of grads.values()) g.dispose();
  // a loss that depends on the weights: sum of (W ⊙ C) for a fixed random C per layer
  const coefs = weights.map(([, w]) => randn(w.shape));
  tidy(() => {
    // R nonzero so the check is not at a special point
    noGrad(() => sub.params().forEach((r) => r.normal_(0, 0.1)));
    sub.pushWeights();
    model.zeroGrad();
    weights.forEach(([, w], i) => w.mul(coefs[i]!).sum().backward());
    sub.pullGradients();
    const pulled = sub.params().map((r) => r.grad!.clone());
    // independent: dL/dR by autograd through the reparameterisation, L = Σ <W0 + U R Vh, C>
    sub.layers.forEach((l, i) => {
      const r = l.r.detach().requiresGrad_(true);
      const delta =
        l.kind === 'linear'
          ? l.u.mm(r).mm(l.vh)
          : l.u.bmm(r).bmm(l.vh).reshape(l.weight.shape[1]!, l.weight.shape[0]!, l.weight.shape[2]!, l.weight.shape[3]!).permute(1, 0, 2, 3);
      const loss = l.w0.add(delta).mul(coefs[i]!).sum();
      const [g] = autograd.grad(loss, r);
      assert.ok(g!.sub(pulled[i]!).abs().max().item() < 1e-4, `${l.name}: pulled gradient differs from autograd`);
      // the weight change lies in span(U) on the left and span(Vh) on the right
      const dw = l.weight.sub(l.w0);
      if (l.kind === 'linear') {
        const left = dw.sub(l.u.mm(l.u.t()).mm(dw));
        const right = dw.sub(dw.mm(l.vh.t()).mm(l.vh));
        assert.ok(left.abs().max().item() < 1e-5 && right.abs().max().item() < 1e-5, `${l.name} left the subspace`);
      }
    });
  });
  assert.ok(sub.trainableCount() > 0);
  assert.equal(sub.trainableCount(), sub.layers.reduce((n, l) => n + l.r.numel(), 0));
  sub.dispose();
  for (const c of coefs) c.dispose();
  model.dispose();
  assert.deepEqual(memory(), before);
});

test('SVD subspace: reference rank rule counts components with cumulative energy ≤ γ', () => {
  // singular values chosen so the cumulative energy ratios are 0.5, 0.8, 0.95, 1.0
  const s = [Math.sqrt(0.5), Math.sqrt(0.3), Math.sqrt(0.15), Math.sqrt(0.05)];
  manualSeed(3);
  tidy(() => {
    const { Q: u } = linalg.qr(randn([6, 4], { dtype: 'float32' }));
    const { Q: v } = linalg.qr(randn([5, 4], { dtype: 'float32' }));
    const g = u.mul(tensor(s, { dtype: 'float32' })).mm(v.t());
    const model = createModel({ name: 'mlp', inChannels: 1, numClasses: 6, imageSize: 1, hiddenSizes: [5] });
    // fc2 is 6×5: give it the built gradient, fc1 anything
    const grads = new Map<string, Tensor>(subspaceWeights(model).map(([n, w]) => [n, n === 'fc2.weight' ? g : randn(w.shape)]));
    const cases: [number, 'reference' | 'reach', number][] = [
      [0.9, 'reference', 2],
      [0.9, 'reach', 3],
      // not 0.95 itself: the SVD's float32 ratios land a few ulps either side of 0.95 depending on u and v
      [0.96, 'reference', 3],
      [0.94, 'reference', 2],
      [0.4, 'reference', 1],
    ];
    for (const [gamma, rankRule, k] of cases) {
      const sub = SvdSubspace.fromGradients(model, grads, { gamma, rankRule, projection: 'none' });
      assert.equal(sub.ranks()['fc2.weight'], k, `gamma ${gamma} ${rankRule}`);
      sub.dispose();
    }
    model.dispose();
  });
});

test('SVD subspace: per-channel ranks (DDPM reference) mask each channel\'s core to k_c×k_c; fullRank keeps a layer whole', () => {
  const before = baselineMemory();
  manualSeed(12);
  const model = createModel({ name: 'smallcnn', inChannels: 1, numClasses: 3, imageSize: 8 });
  tidy(() => {
    const grads = new Map<string, Tensor>(subspaceWeights(model).map(([n, w]) => [n, randn(w.shape)]));
    // conv2's input channels get gradients of different effective rank: channel c is (c % 3 + 1)-rank
    const params = new Map(model.namedParameters());
    const conv2 = params.get('conv2.weight')!;
    const [out, cin, kh, kw] = conv2.shape as [number, number, number, number];
    const perChannel = Array.from({ length: cin }, (_, c) => {
      const rank = (c % 3) + 1;
      return randn([out, rank]).mm(randn([rank, kh * kw])).unsqueeze(1);
    });
    const stacked = cat(perChannel, 1).reshape([out, cin, kh, kw]);
    grads.set('conv2.weight', stacked);
    const expected = Array.from({ length: cin }, (_, c) => (c % 3) + 1);
    const maxSub = SvdSubspace.fromGradients(model, grads, { gamma: 0.999, projection: 'none', rankRule: 'reach' });
    const chanSub = SvdSubspace.fromGradients(model, grads, { gamma: 0.999, projection: 'none', rankRule: 'reach', channelRanks: 'per-channel' });
    const maxL = maxSub.layers.find((l) => l.name === 'conv2.weight')!;
    const chanL = chanSub.layers.find((l) => l.name === 'conv2.weight')!;
    assert.equal(maxL.rank, 3);
    assert.equal(chanL.rank, 3);
    // trainable count: Σ k_c² for conv2 instead of in·k_max²
    const others = maxSub.trainableCount() - maxL.r.numel();
    assert.equal(chanSub.trainableCount() - others, expected.reduce((n, k) => n + k * k, 0));
    // a step's core gradient is zero outside each channel's k_c×k_c block
    chanSub.params().forEach((r) => noGrad(() => r.zero_()));
    chanSub.pushWeights();
    model.zeroGrad();
    conv2.mul(randn(conv2.shape)).sum().backward();
    chanSub.pullGradients();
    const gr = chanL.r.grad!;
    for (let c = 0; c < cin; c++) {
      const k = expected[c]!;
      const block = gr.select(0, c);
      assert.ok(block.narrow(0, 0, k).narrow(1, 0, k).abs().sum().item() > 0, `channel ${c} block trains`);
      assert.equal(block.abs().sum().item() - block.narrow(0, 0, k).narrow(1, 0, k).abs().sum().item(), 0, `channel ${c}: gradient outside k_c×k_c`);
    }
    // fullRank: the named layers keep every component whatever γ says
    const full = SvdSubspace.fromGradients(model, grads, { gamma: 0.3, projection: 'none', fullRank: 'fc' });
    assert.equal(full.ranks()['fc1.weight'], Math.min(...params.get('fc1.weight')!.shape));
    assert.ok(full.ranks()['conv1.weight']! < Math.min(params.get('conv1.weight')!.shape[0]!, 9));
    for (const sub of [maxSub, chanSub, full]) sub.dispose();
  });
  model.dispose();
  assert.deepEqual(memory(), before);
});

test('SVD subspace: orthogonal projection removes the W0 component; the reference formula does not', () => {
  manualSeed(9);
  const model = createModel({ name: 'mlp', inChannels: 1, numClasses: 3, imageSize: 2, hiddenSizes: [4] });
  tidy(() => {
    const grads = new Map<string, Tensor>(subspaceWeights(model).map(([n, w]) => [n, randn(w.shape).add(w.mul(3))]));
    for (const projection of ['orthogonal', 'reference'] as const) {
      const sub = SvdSubspace.fromGradients(model, grads, { gamma: null, projection });
      for (const l of sub.layers) {
        // with the full SVD kept, U diag(S) Vh reconstructs the projected G; measure <G_proj, W0> via U Uᵀ W0 Vhᵀ Vh
        const inner = l.u.t().mm(l.w0).mm(l.vh.t()).abs().sum().item();
        const g = grads.get(l.name)!;
        const w = l.w0;
        const coef = projection === 'orthogonal' ? g.mul(w).sum().div(w.square().sum()) : g.mul(w).sum().div(w.norm());
        const projected = g.sub(w.mul(coef));
        const dot = projected.mul(w).sum().item();
        if (projection === 'orthogonal') assert.ok(Math.abs(dot) < 1e-3, `orthogonal projection leaves <G,W0> = ${dot}`);
        else assert.ok(Math.abs(dot) > 1e-3, 'the reference formula is not orthogonal when ||W0|| != 1');
        assert.ok(Number.isFinite(inner));
      }
      sub.dispose();
    }
  });
  model.dispose();
});

test('corrector: gate and normalised bisector match hand-computed values', () => {
  tidy(() => {
    const gr = [tensor([3, 4], { dtype: 'float64' }), tensor([1, 0], { dtype: 'float64' })];
    const gf = [tensor([4, 3], { dtype: 'float64' }), tensor([-1, 0], { dtype: 'float64' })];
    // cosines: 24/25 = 0.96 and -1; τ = 0.45 - 0.05·1 = 0.40 at stage 1 → fires
    const o = { tau0: 0.45, tauStep: 0.05, decay: 0.9, normalization: 'reference' as const, stepNorm: 'unit' as const, gate: 'tensor' as const };
    const out = correctGradients(gr, gf, o, 2, 1);
    assert.equal(out.fired, true);
    assert.ok(Math.abs(out.cosine - 0.96) < 1e-12);
    const nr = [0.6, 0.8];
    const nf = [0.8, 0.6];
    const beta = 0.81;
    const den = Math.hypot(nr[0]! + nf[0]!, nr[1]! + nf[1]!) + 1e-8;
    const expected = [(nr[0]! + beta * nf[0]!) / den, (nr[1]! + beta * nf[1]!) / den];
    const got = out.grads[0]!.toTypedArray() as Float64Array;
    assert.ok(Math.abs(got[0]! - expected[0]!) < 1e-7 && Math.abs(got[1]! - expected[1]!) < 1e-7);
    // second layer: n_r + n_f = 0 → numerator (1 - 0.81)·[1,0] over 1e-8
    const second = out.grads[1]!.toTypedArray() as Float64Array;
    assert.ok(Math.abs(second[0]! - (1 - beta) / (1e-8 + 1e-8 * 0)) / second[0]! < 1e-6);
    // below the threshold: plain fine-tuning gradient
    const quiet = correctGradients(gr, gf, { ...o, tau0: 0.99, tauStep: 0 }, 0, 0);
    assert.equal(quiet.fired, false);
    assert.deepEqual([...(quiet.grads[0]!.toTypedArray() as Float64Array)], [3, 4]);
    // stepNorm 'retain': the same direction at the retain gradient's length (‖[3,4]‖ = 5), per tensor
    const kept = correctGradients(gr, gf, { ...o, stepNorm: 'retain' }, 2, 1);
    const k = kept.grads[0]!.toTypedArray() as Float64Array;
    assert.ok(Math.abs(k[0]! - 5 * expected[0]!) < 1e-6 && Math.abs(k[1]! - 5 * expected[1]!) < 1e-6);
    const unitLength = Math.hypot(expected[0]!, expected[1]!);
    assert.ok(Math.abs(Math.hypot(k[0]!, k[1]!) - 5 * unitLength) < 1e-6);
    assert.equal(correctGradients(gr, gf, { ...o, stepNorm: 'retain', tau0: 0.99, tauStep: 0 }, 0, 0).fired, false);
  });
});

test('corrector: the whole-model gate compares one cosine over every tensor, where one small tensor cannot open it', () => {
  tidy(() => {
    // a large tensor in conflict (cos −0.6) and a 2-number tensor in agreement (cos 1)
    const gr = [tensor([3, 4, 0, 0], { dtype: 'float64' }), tensor([0.1, 0], { dtype: 'float64' })];
    const gf = [tensor([-3, 0, 4, 0], { dtype: 'float64' }), tensor([0.2, 0], { dtype: 'float64' })];
    const o = { tau0: 0.45, tauStep: 0.05, decay: 0.9, normalization: 'reference' as const, stepNorm: 'unit' as const, gate: 'tensor' as const };
    // per tensor (the reference): the small tensor's cosine 1 opens it for every tensor
    const perTensor = correctGradients(gr, gf, o, 0, 0);
    assert.equal(perTensor.fired, true);
    assert.ok(Math.abs(perTensor.cosine - 1) < 1e-12);
    // whole model: ⟨g_r, g_f⟩ = −9 + 0.02, ‖g_r‖² = 25.01, ‖g_f‖² = 25.04
    const whole = correctGradients(gr, gf, { ...o, gate: 'model' }, 0, 0);
    const expected = (-9 + 0.02) / Math.sqrt(25.01 * 25.04);
    assert.ok(Math.abs(whole.cosine - expected) < 1e-12, `${whole.cosine} vs ${expected}`);
    assert.equal(whole.fired, false);
    assert.deepEqual([...(whole.grads[0]!.toTypedArray() as Float64Array)], [3, 4, 0, 0]);
    // and it opens once the threshold is below the model's cosine, correcting every tensor as the per-tensor gate does
    const low = correctGradients(gr, gf, { ...o, gate: 'model', tau0: -0.5 }, 0, 0);
    assert.equal(low.fired, true);
    (low.grads as Tensor[]).forEach((g, i) => assert.deepEqual([...(g.toTypedArray() as Float64Array)], [...(perTensor.grads[i]!.toTypedArray() as Float64Array)]));
  });
});

test('curriculum: stages follow the scores easy (high loss) first, and the stage schedule', () => {
  const c = new Curriculum([Int32Array.from([4, 5]), Int32Array.from([2, 3]), Int32Array.from([0, 1])], 2, new Float32Array(6));
  assert.equal(c.totalEpochs, 6);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map((e) => c.stageAt(e)), [0, 0, 1, 1, 2, 2, 2]);
  assert.deepEqual([...c.subsetAt(3)], [2, 3]);
  // from scores: ascending loss cut into K chunks, highest-loss chunk first (ties by index), or lowest first
  const scores = Float32Array.from([0.5, 0.1, 0.9, 0.1, 0.7, 0.3]);
  assert.deepEqual(curriculumFromScores(scores, { stages: 3 }).stages.map((st) => [...st]), [[2, 4], [0, 5], [1, 3]]);
  assert.deepEqual(curriculumFromScores(scores, { stages: 2, order: 'hard-first' }).stages.map((st) => [...st]), [[1, 3, 5], [0, 2, 4]]);
  assert.throws(() => curriculumFromScores(scores, { stages: 7 }), /curriculum: 7 stages need at least 7 forget samples, the forget set has 6/);
});

test('trainer clipNorm: the step uses gradients clipped to the given global norm', async () => {
  const { UnlearnTrainer } = await import('../../src/unlearn/trainer.js');
  manualSeed(11);
  const model = createModel({ name: 'mlp', inChannels: 1, numClasses: 3, imageSize: 2, hiddenSizes: [4] });
  const before = [...model.parameters()].map((p) => p.detach().clone());
  // plain SGD (no momentum, no decay): Δθ = -lr · clipped gradient, so ‖Δθ‖ = lr · maxNorm when the raw norm is larger
  const trainer = new UnlearnTrainer(model, { lr: 0.5, momentum: 0, weightDecay: 0, clipNorm: 0.01 });
  tidy(() => trainer.step(model.forward(randn([5, 1, 2, 2])).mul(100).sum()));
  const moved = tidy(() => Math.sqrt([...model.parameters()].reduce((s, p, i) => s + p.sub(before[i]!).square().sum().item(), 0)));
  assert.ok(Math.abs(moved - 0.5 * 0.01) < 1e-6, `moved ${moved}`);
  assert.throws(() => new UnlearnTrainer(model, { lr: 0.1, clipNorm: 0 }), /clipNorm must be positive/);
  trainer.dispose();
  for (const t of before) t.dispose();
  model.dispose();
});

test('trainer maximize: SGD and Adam both ascend the loss (Adam used to drop the flag)', async () => {
  const { UnlearnTrainer } = await import('../../src/unlearn/trainer.js');
  for (const optimizer of ['sgd', 'adam'] as const) {
    manualSeed(11);
    const model = createModel({ name: 'mlp', inChannels: 1, numClasses: 3, imageSize: 2, hiddenSizes: [4] });
    const x = randn([5, 1, 2, 2]);
    const lossOf = (): number => tidy(() => model.forward(x).sum().item());
    const before = lossOf();
    const trainer = new UnlearnTrainer(model, { optimizer, lr: 0.01, momentum: 0, weightDecay: 0, maximize: true });
    tidy(() => trainer.step(model.forward(x).sum()));
    assert.ok(lossOf() > before, `${optimizer}: the loss rose from ${before} to ${lossOf()}`);
    trainer.dispose();
    x.dispose();
    model.dispose();
  }
});
