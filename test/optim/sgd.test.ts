// SGD against hand-computed updates and against torch.optim.SGD (reference-values.ts), bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, memory, tidy, type Tensor } from '../../src/index.js';
import { SGD, type SGDOptions, type ParamGroupInit } from '../../src/optim/index.js';
import { TORCH } from './reference-values.js';
import { runLikeTorch, setGrad } from './harness.js';
import { baselineMemory } from '../baseline.js';

const sgd = (o: Partial<SGDOptions> & { lr: number }) => (ps: [Tensor, Tensor]) => new SGD(ps, o);

test('plain SGD: p -= lr·g, checked by hand and against PyTorch', () => {
  const p = tensor([1, -2], { dtype: 'float64', requiresGrad: true });
  const opt = new SGD([p], { lr: 0.5 });
  setGrad(p, [0.25, -1]);
  opt.step();
  assert.deepEqual(p.toArray(), [0.875, -1.5]);
  opt.dispose();
  p.dispose();
  assert.deepEqual(runLikeTorch(sgd({ lr: 0.1 })), TORCH['sgd_plain']);
});

test('momentum: the first step initialises the buffer to the gradient, later steps add (1 - dampening)·d', () => {
  const p = tensor([1], { dtype: 'float64', requiresGrad: true });
  const opt = new SGD([p], { lr: 0.1, momentum: 0.5, dampening: 0.5, weightDecay: 0.25 });
  setGrad(p, [2]);
  opt.step(); // d = 2 + 0.25·1 = 2.25; buf = 2.25 (no dampening on the first step); p = 1 - 0.225 = 0.775
  assert.ok(Math.abs((p.toArray() as number[])[0]! - 0.775) < 1e-15);
  setGrad(p, [2]);
  opt.step(); // d = 2 + 0.25·0.775 = 2.19375; buf = 0.5·2.25 + 0.5·2.19375 = 2.221875; p = 0.775 - 0.2221875
  assert.ok(Math.abs((p.toArray() as number[])[0]! - (0.775 - 0.2221875)) < 1e-15);
  assert.ok(Math.abs(opt.stateOfParam(p)!.get('momentum_buffer')!.item() - 2.221875) < 1e-15);
  opt.dispose();
  p.dispose();
});

test('momentum + dampening + weight decay, nesterov, maximize equal PyTorch bit for bit', () => {
  assert.deepEqual(runLikeTorch(sgd({ lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 })), TORCH['sgd_momentum_dampening_wd']);
  assert.deepEqual(runLikeTorch(sgd({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 })), TORCH['sgd_nesterov_wd']);
  assert.deepEqual(runLikeTorch(sgd({ lr: 0.1, momentum: 0.5, maximize: true })), TORCH['sgd_maximize']);
});

test('parameter groups override the defaults; params with a null grad are skipped', () => {
  const groups = (ps: [Tensor, Tensor]): ParamGroupInit<SGDOptions>[] => [{ params: [ps[0]] }, { params: [ps[1]], lr: 0.01, momentum: 0.9 }];
  assert.deepEqual(runLikeTorch((ps) => new SGD(groups(ps), { lr: 0.1 })), TORCH['sgd_groups']);
  assert.deepEqual(runLikeTorch(sgd({ lr: 0.1, momentum: 0.9 }), { skip1: [1, 2] }), TORCH['sgd_skip_null_grad']);
});

test('paramGroups[i].lr can be changed between steps', () => {
  const p = tensor([1], { dtype: 'float64', requiresGrad: true });
  const opt = new SGD([p], { lr: 0.1 });
  opt.paramGroups[0]!.lr = 0.5;
  setGrad(p, [1]);
  opt.step();
  assert.deepEqual(p.toArray(), [0.5]);
  opt.dispose();
  p.dispose();
});

test('zeroGrad sets gradients to null', () => {
  const p = tensor([1.5, 2], { dtype: 'float64', requiresGrad: true });
  const opt = new SGD([p], { lr: 0.1 });
  setGrad(p, [1, 1]);
  opt.zeroGrad();
  assert.equal(p.grad, null);
  opt.dispose();
  p.dispose();
});

test('bad options and parameters give clear errors', () => {
  const p = tensor([1.5, 2], { requiresGrad: true });
  assert.throws(() => new SGD([], { lr: 0.1 }), /empty parameter list/);
  assert.throws(() => new SGD([p], { lr: -1 }), /lr must be a finite number >= 0/);
  assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /Nesterov momentum needs momentum > 0/);
  assert.throws(() => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /dampening = 0/);
  assert.throws(() => new SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 }), /appears more than once/);
  assert.throws(() => new SGD([{ params: [p], weight_decay: 1 } as unknown as ParamGroupInit<SGDOptions>], { lr: 0.1 }), /unknown option 'weight_decay'/);
  const i = tensor([1, 2]);
  assert.throws(() => new SGD([i], { lr: 0.1 }), /dtype int64; only floating-point/);
  tidy(() => assert.throws(() => new SGD([p.mul(2)], { lr: 0.1 }), /not a leaf tensor/));
  const m = tensor([1, 0, 1], { dtype: 'float32' });
  assert.throws(() => new SGD([{ params: [p], masks: [m] }], { lr: 0.1 }), /entry 0 has shape \[3\] but its param has shape \[2\]/);
  assert.throws(() => new SGD([{ params: [p], masks: [] }], { lr: 0.1 }), /expected an array of 1 entries/);
  const opt = new SGD([p], { lr: 0.1 });
  opt.paramGroups[0]!.lr = Number.NaN;
  assert.throws(() => opt.step(), /parameter group 0: lr must be a finite number/);
  opt.dispose();
  assert.throws(() => opt.step(), /disposed/);
  [p, i, m].forEach((t) => t.dispose());
});

test('step and dispose leave memory() at its baseline', () => {
  const p = tensor([[1, 2], [3, 4]], { dtype: 'float32', requiresGrad: true });
  const before = baselineMemory();
  const opt = new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  for (let i = 0; i < 3; i++) {
    tidy(() => p.mul(p).sum().backward());
    opt.step();
  }
  assert.equal(memory().numTensors, before.numTensors + 1); // the momentum buffer
  opt.dispose();
  assert.deepEqual(memory(), before);
  p.dispose();
});
