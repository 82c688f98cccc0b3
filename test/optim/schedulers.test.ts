// Learning-rate schedules against torch.optim.lr_scheduler's get_last_lr() sequences (reference-values.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/index.js';
import { SGD, MultiStepLR, StepLR, CosineAnnealingLR, LambdaLR, LinearWarmup, type LRScheduler } from '../../src/optim/index.js';
import { TORCH_LR } from './reference-values.js';
import { resolveRecipe } from '../../src/train/recipe.js';

/** Two groups with lr 0.1 and 0.02, as in the reference script; returns the lr sequence. */
function sequence(make: (opt: SGD) => LRScheduler, epochs: number): number[][] {
  const p = tensor([0], { dtype: 'float64', requiresGrad: true });
  const q = tensor([0], { dtype: 'float64', requiresGrad: true });
  const opt = new SGD([{ params: [p] }, { params: [q], lr: 0.02 }], { lr: 0.1 });
  const s = make(opt);
  const seq = [s.getLastLr()];
  for (let e = 0; e < epochs; e++) {
    opt.step();
    s.step();
    seq.push(s.getLastLr());
    assert.deepEqual(opt.paramGroups.map((g) => g.lr), s.getLastLr());
  }
  opt.dispose();
  p.dispose();
  q.dispose();
  return seq;
}

function assertClose(got: number[][], want: number[][], relTol: number): void {
  assert.equal(got.length, want.length);
  got.forEach((row, i) =>
    row.forEach((v, j) => {
      const w = want[i]![j]!;
      assert.ok(Math.abs(v - w) <= relTol * Math.abs(w), `epoch ${i} group ${j}: ${v} vs PyTorch ${w}`);
    }),
  );
}

test('MultiStepLR (repeated milestone) and StepLR equal PyTorch bit for bit', () => {
  assert.deepEqual(sequence((o) => new MultiStepLR(o, { milestones: [2, 5, 5, 8], gamma: 0.1 }), 12), TORCH_LR['multistep']);
  assert.deepEqual(sequence((o) => new StepLR(o, { stepSize: 3, gamma: 0.5 }), 12), TORCH_LR['step']);
});

test('LambdaLR equals PyTorch bit for bit', () => {
  assert.deepEqual(sequence((o) => new LambdaLR(o, (e) => 1 / (e + 1)), 6), TORCH_LR['lambda']);
});

test('CosineAnnealingLR (closed form, past tMax) agrees with PyTorch to 1e-13 relative', () => {
  const got = sequence((o) => new CosineAnnealingLR(o, { tMax: 10, etaMin: 0.001 }), 25);
  assertClose(got, TORCH_LR['cosine']!, 1e-13);
  // By hand: epoch 5 of 10 is the midpoint, epoch 10 the minimum.
  assert.ok(Math.abs(got[5]![0]! - (0.001 + 0.099 / 2)) < 1e-17);
  assert.equal(got[10]![0], 0.001);
});

test('LinearWarmup equals LinearLR, and with `after` SequentialLR([LinearLR, Cosine]), to 1e-13 relative', () => {
  const warm = sequence((o) => new LinearWarmup(o, { warmupSteps: 4, startFactor: 0.25 }), 8);
  assertClose(warm, TORCH_LR['linear']!, 1e-13);
  assert.deepEqual(warm[0], [0.025, 0.005]);
  const seq = sequence((o) => new LinearWarmup(o, { warmupSteps: 4, startFactor: 0.25, after: new CosineAnnealingLR(o, { tMax: 6, etaMin: 0.001 }) }), 14);
  assertClose(seq, TORCH_LR['warmup_cosine']!, 1e-13);
});

test('MultiStepLR is chainable: an lr set by hand persists and is scaled at the next milestone', () => {
  const p = tensor([0], { dtype: 'float64', requiresGrad: true });
  const opt = new SGD([p], { lr: 1 });
  const s = new MultiStepLR(opt, { milestones: [2] });
  opt.paramGroups[0]!.lr = 0.5;
  s.step();
  assert.equal(opt.paramGroups[0]!.lr, 0.5);
  s.step();
  assert.equal(opt.paramGroups[0]!.lr, 0.05);
  assert.deepEqual(s.baseLrs, [1]);
  opt.dispose();
  p.dispose();
});

test('stateDict round trip resumes the same sequence', () => {
  const p = tensor([0], { dtype: 'float64', requiresGrad: true });
  const make = (o: SGD) => new LinearWarmup(o, { warmupSteps: 3, after: new MultiStepLR(o, { milestones: [2, 4], gamma: 0.5 }) });
  const optA = new SGD([p], { lr: 0.1 });
  const a = make(optA);
  for (let i = 0; i < 5; i++) a.step();
  const saved = JSON.parse(JSON.stringify(a.stateDict())) as ReturnType<LRScheduler['stateDict']>;
  const lrAt5 = optA.paramGroups[0]!.lr;
  const restA: number[] = [];
  for (let i = 0; i < 6; i++) {
    a.step();
    restA.push(a.getLastLr()[0]!);
  }
  optA.dispose();
  const optB = new SGD([p], { lr: 0.1 });
  const b = make(optB);
  b.loadStateDict(saved);
  optB.paramGroups[0]!.lr = lrAt5; // the optimizer's own state dict carries its lr, as in PyTorch
  const restB: number[] = [];
  for (let i = 0; i < 6; i++) {
    b.step();
    restB.push(b.getLastLr()[0]!);
  }
  assert.deepEqual(restB, restA);
  assert.throws(() => new StepLR(optB, { stepSize: 2 }).loadStateDict(saved), /state is for a LinearWarmup schedule, not StepLR/);
  optB.dispose();
  p.dispose();
});

test('bad schedule options give clear errors', () => {
  const p = tensor([0], { dtype: 'float64', requiresGrad: true });
  const opt = new SGD([p], { lr: 0.1 });
  assert.throws(() => new MultiStepLR(opt, { milestones: [1.5] }), /milestones must be an array of non-negative integer epochs/);
  assert.throws(() => new CosineAnnealingLR(opt, { tMax: 0 }), /tMax must be a positive integer/);
  assert.throws(() => new LinearWarmup(opt, { warmupSteps: 2, startFactor: 2 }), /startFactor must be in \[0, 1\]/);
  assert.throws(() => new LambdaLR(opt, [(e) => e, (e) => e]), /one function or 1 functions/);
  opt.dispose();
  p.dispose();
});

test('resolveRecipe: default milestones at half and three quarters, never the same epoch twice; given ones must increase', () => {
  assert.deepEqual(resolveRecipe({ epochs: 20 }).milestones, [10, 15]);
  assert.deepEqual(resolveRecipe({ epochs: 8 }).milestones, [4, 6]);
  assert.deepEqual(resolveRecipe({ epochs: 3 }).milestones, [2], 'round(1.5) = round(2.25) = 2: one drop of γ, not γ²');
  assert.deepEqual(resolveRecipe({ epochs: 1 }).milestones, [1]);
  assert.throws(() => resolveRecipe({ milestones: [5, 1] }), /recipe: milestones must be increasing positive epochs, got \[5, 1\]/);
  assert.throws(() => resolveRecipe({ milestones: [2, 2] }), /milestones must be increasing/);
});

test('resolveRecipe: a misspelt or mistyped setting is an error, not the default run silently (what fit() resolves)', () => {
  assert.throws(() => resolveRecipe({ epoch: 1 } as never), /recipe: unknown option 'epoch'; the options are epochs, batchSize, optimizer, lr/);
  assert.throws(() => resolveRecipe({ augment: 'no' } as never), /recipe: augment must be a boolean, got "no"/);
  assert.throws(() => resolveRecipe({ epochs: '3' } as never), /recipe: epochs must be a number, got "3"/);
  assert.throws(() => resolveRecipe({ milestones: 5 } as never), /recipe: milestones must be an array of epochs, got 5/);
  assert.equal(resolveRecipe({ epochs: 3, lr: undefined }).lr, 0.1, 'an undefined field takes the default');
});
