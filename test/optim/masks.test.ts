// Update masks: 'update' freezes masked entries exactly (SalUn after its PR #33), 'grad' reproduces the
// reference code's leaky freeze (gradient masked, weight decay and momentum still act).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, memory, randn, manualSeed, type Tensor } from '../../src/index.js';
import { SGD, Adam, AdamW, type Optimizer, type BaseOptions } from '../../src/optim/index.js';
import { TORCH } from './reference-values.js';
import { runLikeTorch } from './harness.js';
import { baselineMemory } from '../baseline.js';

test("'update' mode matches SalUn's fixed freeze (restore θ_o, zero momentum at mask 0) in PyTorch", () => {
  assert.deepEqual(
    runLikeTorch((ps, masks) => new SGD([{ params: ps, masks }], { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 }), { steps: 8, maskMode: 'update' }),
    TORCH['mask_fixed_sgd'],
  );
  assert.deepEqual(
    runLikeTorch((ps, masks) => new AdamW([{ params: ps, masks }], { lr: 0.01, weightDecay: 0.1 }), { steps: 8, maskMode: 'update' }),
    TORCH['mask_fixed_adamw'],
  );
});

test("'grad' mode matches the reference SalUn code (grad *= mask, then step) in PyTorch, including its leak", () => {
  const got = runLikeTorch((ps, masks) => new SGD([{ params: ps, masks, maskMode: 'grad' }], { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 }), {
    steps: 8,
    maskMode: 'grad',
  });
  assert.deepEqual(got, TORCH['mask_grad_sgd']);
  // The "frozen" entry p0[0][1] = -1.2 moved: weight decay plus momentum, the known leaky freeze.
  const frozen = (got[0] as number[][])[0]![1]!;
  assert.notEqual(frozen, -1.2);
  assert.ok(frozen > -1.2 && frozen < -1.19, `leaked value ${frozen}`);
});

function trainMasked(make: (p: Tensor, mask: Tensor) => Optimizer<BaseOptions>, steps: number): { before: Tensor; after: Tensor; mask: Tensor; opt: Optimizer<BaseOptions>; p: Tensor } {
  manualSeed(7);
  const p = randn([6, 5], { dtype: 'float32', requiresGrad: true });
  const mask = tidy(() => randn([6, 5]).gt(0).float());
  const before = p.clone();
  const opt = make(p, mask);
  const target = randn([6, 5]);
  for (let i = 0; i < steps; i++) {
    tidy(() => p.sub(target).pow(2).sum().mul(0.5).backward());
    opt.step();
    opt.zeroGrad();
  }
  target.dispose();
  return { before, after: p, mask, opt, p };
}

for (const [name, make] of [
  ['SGD(momentum 0.9, nesterov, wd 5e-4)', (p: Tensor, m: Tensor) => new SGD([{ params: [p], masks: [m] }], { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 })],
  ['Adam(wd 0.01, amsgrad)', (p: Tensor, m: Tensor) => new Adam([{ params: [p], masks: [m] }], { lr: 0.01, weightDecay: 0.01, amsgrad: true })],
  ['AdamW(wd 0.1)', (p: Tensor, m: Tensor) => new AdamW([{ params: [p], masks: [m] }], { lr: 0.01, weightDecay: 0.1 })],
] as const) {
  test(`'update' mode: masked entries stay bit-identical over 300 steps of ${name}; their state stays 0`, () => {
    const base = baselineMemory();
    const r = trainMasked(make, 300);
    tidy(() => {
      const frozen = r.mask.eq(0);
      assert.ok(r.after.maskedSelect(frozen).equal(r.before.maskedSelect(frozen)), 'a masked entry changed');
      assert.ok(r.after.maskedSelect(r.mask.ne(0)).ne(r.before.maskedSelect(r.mask.ne(0))).all().item() === 1, 'an unmasked entry did not train');
      for (const [key, s] of r.opt.stateOfParam(r.p)!) assert.equal(s.maskedSelect(frozen).abs().max().item(), 0, `state ${key} accumulated at a masked entry`);
    });
    r.opt.dispose();
    [r.before, r.after, r.mask].forEach((t) => t.dispose());
    assert.deepEqual(memory(), base);
  });
}

test("'update' mode: unmasked entries follow exactly the unmasked trajectory (the optimizers are elementwise)", () => {
  const masked = trainMasked((p, m) => new SGD([{ params: [p], masks: [m] }], { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }), 50);
  const free = trainMasked((p) => new SGD([p], { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }), 50);
  tidy(() => {
    const on = masked.mask.ne(0);
    assert.ok(masked.after.maskedSelect(on).equal(free.after.maskedSelect(on)));
  });
  for (const r of [masked, free]) {
    r.opt.dispose();
    [r.before, r.after, r.mask].forEach((t) => t.dispose());
  }
});

test("'grad' mode: masked entries still change under weight decay and momentum (the documented leak)", () => {
  const r = trainMasked((p, m) => new SGD([{ params: [p], masks: [m], maskMode: 'grad' }], { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }), 20);
  tidy(() => {
    const frozen = r.mask.eq(0);
    const b = r.before.maskedSelect(frozen);
    const a = r.after.maskedSelect(frozen);
    assert.ok(a.ne(b).all().item() === 1, 'every masked entry should have leaked');
    // Only decay acts there, so they shrink towards 0 without changing sign.
    assert.ok(a.abs().lt(b.abs()).all().item() === 1);
    assert.ok(a.mul(b).gt(0).all().item() === 1);
  });
  r.opt.dispose();
  [r.before, r.after, r.mask].forEach((t) => t.dispose());
});

test('setMasks validates and can remove masks; a bool mask works as well', () => {
  const p = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
  const opt = new SGD([p], { lr: 1 });
  const m = tensor([true, false, true]);
  opt.setMasks(0, [m]);
  const g = tensor([1, 1, 1], { dtype: 'float64' });
  p.grad = g;
  opt.step();
  assert.deepEqual(p.toArray(), [0, 2, 2]);
  opt.setMasks(0, null);
  opt.step();
  assert.deepEqual(p.toArray(), [-1, 1, 1]);
  assert.throws(() => opt.setMasks(1, null), /no parameter group 1/);
  assert.throws(() => opt.setMasks(0, [tensor([1, 0])]), /shape \[2\] but its param has shape \[3\]/);
  opt.dispose();
  [p, m, g].forEach((t) => t.dispose());
});
