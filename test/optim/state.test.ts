// Optimizer state dicts (resume gives identical steps) and memory: flat across 1,000 steps, baseline after dispose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, memory, randn, manualSeed, type Tensor } from '../../src/index.js';
import { SGD, Adam, AdamW, type Optimizer, type BaseOptions, type OptimizerStateDict } from '../../src/optim/index.js';
import { baselineMemory } from '../baseline.js';

type Make = (ps: Tensor[]) => Optimizer<BaseOptions>;

function freshParams(): Tensor[] {
  manualSeed(3);
  return [randn([4, 3], { dtype: 'float64', requiresGrad: true }), randn([3], { dtype: 'float64', requiresGrad: true })];
}

/** A deterministic loss whose gradient depends on the parameters, so trajectories diverge if state differs. */
function lossStep(ps: Tensor[], opt: Optimizer<BaseOptions>, t: number): void {
  tidy(() => ps[0]!.sin().mul(t + 1).sum().add(ps[1]!.pow(2).mul(ps[0]!.sum()).sum()).backward());
  opt.step();
  opt.zeroGrad();
}

const configs: [string, Make][] = [
  ['SGD nesterov + wd', (ps) => new SGD([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.01 }], { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
  ['Adam amsgrad + wd', (ps) => new Adam(ps, { lr: 0.01, amsgrad: true, weightDecay: 0.01 })],
  ['AdamW', (ps) => new AdamW(ps, { lr: 0.01, betas: [0.8, 0.9] })],
];

for (const [name, make] of configs) {
  test(`${name}: stateDict → loadStateDict into a fresh optimizer gives bit-identical subsequent steps`, () => {
    const base = baselineMemory();
    const a = freshParams();
    const optA = make(a);
    for (let t = 0; t < 3; t++) lossStep(a, optA, t);
    const dict = optA.stateDict();
    const snapshot = tidy(() => a.map((p) => p.detach().clone()));
    for (let t = 3; t < 6; t++) lossStep(a, optA, t);

    // A new run: parameters restored from the snapshot, optimizer from the dict (with a different lr to
    // show that options come from the dict too).
    const b = snapshot;
    b.forEach((p) => (p.requiresGrad = true));
    const optB = make(b);
    optB.paramGroups[0]!.lr = 123;
    optB.loadStateDict(dict);
    assert.equal(optB.paramGroups[0]!.lr, optA.paramGroups[0]!.lr);
    for (let t = 3; t < 6; t++) lossStep(b, optB, t);
    a.forEach((p, i) => assert.ok(p.equal(b[i]!), `param ${i} differs after resuming`));

    // The dict is plain data owned by the caller: groups survive JSON, and disposing its tensors is safe.
    const json = JSON.parse(JSON.stringify(dict.groups)) as OptimizerStateDict['groups'];
    assert.deepEqual(json, dict.groups);
    for (const t of dict.state.values()) t.dispose();
    [optA, optB].forEach((o) => o.dispose());
    [...a, ...b].forEach((p) => p.dispose());
    assert.deepEqual(memory(), base);
  });
}

test('stateDict keys follow PyTorch: "<paramIndex>.<name>", Adam\'s step as a float32 scalar', () => {
  const ps = freshParams();
  const opt = new Adam(ps, { amsgrad: true });
  lossStep(ps, opt, 0);
  lossStep(ps, opt, 1);
  const d = opt.stateDict();
  assert.deepEqual([...d.state.keys()], ['0.step', '0.exp_avg', '0.exp_avg_sq', '0.max_exp_avg_sq', '1.step', '1.exp_avg', '1.exp_avg_sq', '1.max_exp_avg_sq']);
  assert.equal(d.state.get('1.step')!.item(), 2);
  assert.equal(d.state.get('1.step')!.dtype, 'float32');
  assert.deepEqual(d.groups, [{ lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false, maskMode: 'update', params: [0, 1] }]);
  for (const t of d.state.values()) t.dispose();
  opt.dispose();
  ps.forEach((p) => p.dispose());
});

test('loadStateDict rejects mismatches with a clear error and changes nothing', () => {
  const ps = freshParams();
  const opt = new SGD(ps, { lr: 0.1, momentum: 0.9 });
  lossStep(ps, opt, 0);
  const good = opt.stateDict();
  const wrongShape = { groups: good.groups, state: new Map([['0.momentum_buffer', tensor([1, 2], { dtype: 'float64' })]]) };
  assert.throws(() => opt.loadStateDict(wrongShape), /state '0.momentum_buffer' has shape \[2\] but its param has shape \[4, 3\]/);
  assert.throws(() => opt.loadStateDict({ groups: [...good.groups, ...good.groups], state: new Map() }), /saved state has 2 parameter groups, this optimizer has 1/);
  assert.throws(() => opt.loadStateDict({ groups: [{ ...good.groups[0]!, params: [0] }], state: new Map() }), /saved group 0 has 1 params/);
  assert.throws(() => opt.loadStateDict({ groups: good.groups, state: new Map([['7.momentum_buffer', good.state.get('0.momentum_buffer')!]]) }), /'7.momentum_buffer' does not name a parameter/);
  assert.throws(() => opt.loadStateDict({ groups: good.groups, state: new Map([['0.exp_avg', good.state.get('0.momentum_buffer')!]]) }), /unknown state '0.exp_avg'/);
  assert.throws(() => opt.loadStateDict({ groups: [{ ...good.groups[0]!, betas: [0.9, 0.99] }], state: new Map() }), /unknown option 'betas'/);
  assert.throws(() => opt.loadStateDict({ groups: [{ ...good.groups[0]!, lr: -1 }], state: new Map() }), /lr must be a finite number >= 0/);
  // Nothing changed: the buffer is still the one from the first step.
  assert.ok(opt.stateOfParam(ps[0]!)!.get('momentum_buffer')!.equal(good.state.get('0.momentum_buffer')!));
  for (const t of [...good.state.values(), ...wrongShape.state.values()]) t.dispose();
  opt.dispose();
  ps.forEach((p) => p.dispose());
});

for (const [name, make] of configs) {
  test(`${name}: memory() is flat across 1,000 steps and back to baseline after dispose()`, () => {
    const ps = freshParams();
    const base = baselineMemory();
    const opt = make(ps);
    lossStep(ps, opt, 0);
    const afterFirst = baselineMemory();
    for (let t = 1; t < 1000; t++) lossStep(ps, opt, t % 7);
    assert.deepEqual(memory(), afterFirst);
    opt.dispose();
    assert.deepEqual(memory(), base);
    ps.forEach((p) => p.dispose());
  });
}
