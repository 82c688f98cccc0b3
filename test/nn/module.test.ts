// The Module base: registration and naming, stateDict/loadStateDict, modes, gradients, clone, to, dispose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arange, crossEntropy, manualSeed, memory, noGrad, randn, tensor, tidy, type Tensor } from '../../src/index.js';
import { BatchNorm2d, Conv2d, disposeStateDict, Dropout, Linear, Module, ReLU, Sequential } from '../../src/nn/index.js';
import { baselineMemory } from '../baseline.js';

/** conv → bn → relu → pool-free head: small, but with params, buffers, nesting and a Sequential. */
class Tiny extends Module {
  conv: Conv2d;
  bn: BatchNorm2d;
  body: Sequential;
  head: Linear;
  constructor() {
    super();
    this.conv = this.registerModule('conv', new Conv2d(1, 2, 3, { padding: 1, bias: false }));
    this.bn = this.registerModule('bn', new BatchNorm2d(2));
    this.body = this.registerModule('body', new Sequential(new ReLU(), new Dropout(0.5)));
    this.head = this.registerModule('head', new Linear(2 * 4 * 4, 3));
  }
  forward(x: Tensor): Tensor {
    return tidy(() => this.head.forward(this.body.forward(this.bn.forward(this.conv.forward(x))).flatten(1)));
  }
}

const TINY_KEYS = [
  'conv.weight',
  'bn.weight',
  'bn.bias',
  'bn.running_mean',
  'bn.running_var',
  'bn.num_batches_tracked',
  'head.weight',
  'head.bias',
];

test('state_dict keys and order follow PyTorch (params then buffers per module, pre-order)', () => {
  const base = baselineMemory();
  const m = new Tiny();
  assert.deepEqual(m._stateEntries().map(([k]) => k), TINY_KEYS);
  assert.deepEqual([...m.namedParameters()].map(([k]) => k), ['conv.weight', 'bn.weight', 'bn.bias', 'head.weight', 'head.bias']);
  assert.deepEqual([...m.namedBuffers()].map(([k]) => k), ['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
  assert.deepEqual([...m.namedChildren()].map(([k]) => k), ['conv', 'bn', 'body', 'head']);
  assert.deepEqual([...m.namedModules()].map(([k]) => k), ['', 'conv', 'bn', 'body', 'body.0', 'body.1', 'head']);
  assert.equal(m.numParameters(), 2 * 9 + 2 + 2 + 32 * 3 + 3);
  const sd = m.stateDict();
  assert.deepEqual([...sd.keys()], TINY_KEYS);
  assert.equal(sd.get('bn.num_batches_tracked')!.dtype, 'int64');
  assert.deepEqual(sd.get('bn.num_batches_tracked')!.shape, []);
  // stateDict values are fresh handles sharing storage with the module (PyTorch semantics).
  assert.equal(sd.get('head.bias')!.dataPtr(), m.head.bias!.dataPtr());
  assert.equal(sd.get('head.weight')!.requiresGrad, false);
  disposeStateDict(sd);
  m.dispose();
  assert.deepEqual(memory(), base);
});

test('parameters are kept leaves that require grad and survive tidy', () => {
  const base = baselineMemory();
  const m = tidy(() => new Tiny());
  for (const p of m.parameters()) {
    assert.equal(p.isDisposed, false);
    assert.equal(p.isLeaf, true);
    assert.equal(p.requiresGrad, true);
  }
  assert.equal(memory().numTensors - base.numTensors, TINY_KEYS.length);
  m.dispose();
  m.dispose(); // idempotent
  assert.deepEqual(memory(), base);
});

test('registration rejects bad and duplicate names', () => {
  class Bad extends Module {
    constructor(name: string) {
      super();
      this.registerModule('a', new ReLU());
      this.registerModule(name, new ReLU());
    }
    forward(x: Tensor): Tensor {
      return x.relu();
    }
  }
  assert.throws(() => new Bad('a'), /'a' is already registered as a module/);
  assert.throws(() => new Bad('x.y'), /invalid module name 'x\.y'/);
});

test('stateDict({clone}) snapshots; loadStateDict copies values in place', () => {
  const base = baselineMemory();
  manualSeed(1);
  const a = new Tiny();
  const b = new Tiny();
  const snapshot = a.stateDict({ clone: true });
  assert.notEqual(snapshot.get('head.weight')!.dataPtr(), a.head.weight.dataPtr());
  const weightHandle = b.head.weight;
  const res = b.loadStateDict(snapshot);
  assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
  assert.equal(b.head.weight, weightHandle, 'the parameter object is unchanged (copied in place)');
  for (const [k, t] of b.stateDict()) {
    tidy(() => assert.ok(t.equal(snapshot.get(k)!), `${k} loaded`));
    t.dispose();
  }
  // records work too (e.g. tensors read from a safetensors file)
  b.loadStateDict(Object.fromEntries(snapshot));
  disposeStateDict(snapshot);
  a.dispose();
  b.dispose();
  assert.deepEqual(memory(), base);
});

test('strict loadStateDict names every missing, unexpected and mis-shaped key at once and loads nothing', () => {
  const base = baselineMemory();
  const m = new Tiny();
  const before = m.stateDict({ clone: true });
  const sd = m.stateDict({ clone: true });
  sd.get('bn.weight')!.fill_(7);
  sd.get('head.bias')!.dispose();
  sd.delete('head.bias');
  sd.get('bn.running_var')!.dispose();
  sd.delete('bn.running_var');
  sd.set('extra.weight', tensor([1, 2, 3], { dtype: 'float32' }));
  sd.get('conv.weight')!.dispose();
  sd.set('conv.weight', randn([2, 3, 3, 3]));
  assert.throws(
    () => m.loadStateDict(sd),
    (e: Error) => {
      assert.match(e.message, /conv\.weight: checkpoint shape \[2, 3, 3, 3\], model shape \[2, 1, 3, 3\]/);
      assert.match(e.message, /2 missing keys \(bn\.running_var, head\.bias\)/);
      assert.match(e.message, /1 unexpected key \(extra\.weight\)/);
      return true;
    },
  );
  // nothing was copied (bn.weight would have become 7)
  tidy(() => assert.ok(m.bn.weight!.equal(before.get('bn.weight')!)));
  // non-strict: shape mismatches are still an error (as in PyTorch) ...
  assert.throws(() => m.loadStateDict(sd, { strict: false }), /mismatched entry/);
  // ... and without them the missing/unexpected keys are reported, the rest loaded.
  sd.get('conv.weight')!.dispose();
  sd.set('conv.weight', before.get('conv.weight')!.clone());
  const res = m.loadStateDict(sd, { strict: false });
  assert.deepEqual(res, { missingKeys: ['bn.running_var', 'head.bias'], unexpectedKeys: ['extra.weight'] });
  assert.deepEqual(m.bn.weight!.toArray(), [7, 7]);
  disposeStateDict(sd);
  disposeStateDict(before);
  m.dispose();
  assert.deepEqual(memory(), base);
});

test('train()/eval() reach every submodule and change Dropout and BatchNorm behaviour', () => {
  const base = baselineMemory();
  manualSeed(2);
  const m = new Tiny();
  const x = randn([4, 1, 4, 4]);
  assert.ok([...m.modules()].every((s) => s.training));
  m.eval();
  assert.ok([...m.modules()].every((s) => !s.training));
  const e1 = noGrad(() => m.forward(x));
  const e2 = noGrad(() => m.forward(x));
  assert.ok(e1.equal(e2), 'eval is deterministic');
  assert.equal(m.bn.numBatchesTracked!.item(), 0, 'eval does not touch running stats');
  m.train();
  const t1 = noGrad(() => m.forward(x));
  assert.ok(!t1.allclose(e1), 'training mode uses batch statistics and dropout');
  assert.equal(m.bn.numBatchesTracked!.item(), 1);
  for (const t of [x, e1, e2, t1]) t.dispose();
  m.dispose();
  assert.deepEqual(memory(), base);
});

test('zeroGrad sets grads to null; freeze/unfreeze toggle requiresGrad', () => {
  const base = baselineMemory();
  const m = new Tiny();
  tidy(() => crossEntropy(m.forward(randn([2, 1, 4, 4])), tensor([0, 2])).backward());
  for (const p of m.parameters()) {
    const g = p.grad;
    assert.notEqual(g, null);
    g!.dispose();
  }
  m.zeroGrad();
  for (const p of m.parameters()) assert.equal(p.grad, null);
  m.freeze();
  assert.equal(m.numParameters({ trainableOnly: true }), 0);
  assert.ok([...m.parameters()].every((p) => !p.requiresGrad));
  m.head.unfreeze();
  assert.equal(m.numParameters({ trainableOnly: true }), 32 * 3 + 3);
  m.unfreeze();
  assert.equal(m.numParameters({ trainableOnly: true }), m.numParameters());
  m.dispose();
  assert.deepEqual(memory(), base);
});

test('clone() is a deep, independent copy: same class, values, modes and flags; separate storage', () => {
  const base = baselineMemory();
  manualSeed(3);
  const m = new Tiny();
  m.eval();
  m.conv.freeze();
  const before = m.stateDict({ clone: true });
  const c = m.clone();
  assert.ok(c instanceof Tiny);
  assert.equal(c.training, false);
  assert.equal(c.conv.weight.requiresGrad, false);
  assert.equal(c.head.weight.requiresGrad, true);
  assert.deepEqual(c._stateEntries().map(([k]) => k), TINY_KEYS);
  // fields and registries point at the same (new) children
  assert.equal(c.getSubmodule('head'), c.head);
  assert.notEqual(c.head, m.head);
  for (const [k, t] of c._stateEntries()) {
    const orig = m._stateEntries().find(([n]) => n === k)![1];
    assert.notEqual(t.dataPtr(), orig.dataPtr(), `${k} has its own storage`);
    assert.ok(t.equal(orig), `${k} has the same values`);
  }
  // Train the clone a little: the original stays bit-identical.
  c.train();
  tidy(() => {
    crossEntropy(c.forward(randn([2, 1, 4, 4])), tensor([1, 0])).backward();
    noGrad(() => {
      for (const p of c.parameters()) p.add_(1);
    });
  });
  for (const [k, t] of m._stateEntries()) tidy(() => assert.ok(t.equal(before.get(k)!), `${k} unchanged in the original`));
  assert.equal(m.bn.numBatchesTracked!.item(), 0);
  assert.equal(c.bn.numBatchesTracked!.item(), 1);
  // seeded draws after a clone are the same as without it (clone uses no random numbers)
  manualSeed(9);
  const r1 = randn([3]);
  manualSeed(9);
  const c2 = m.clone();
  const r2 = randn([3]);
  assert.ok(r1.equal(r2));
  for (const t of [r1, r2]) t.dispose();
  disposeStateDict(before);
  c2.dispose();
  c.dispose();
  m.dispose();
  assert.deepEqual(memory(), base);
});

test('to(): dtype casts floating tensors only and keeps requiresGrad; cpu is a no-op', () => {
  const base = baselineMemory();
  const m = new Tiny();
  const w = m.head.weight;
  m.to('cpu');
  assert.equal(m.head.weight, w, 'no-op keeps the same tensors');
  m.to({ dtype: 'float64' });
  assert.equal(m.head.weight.dtype, 'float64');
  assert.equal(m.head.weight.requiresGrad, true);
  assert.equal(m.bn.runningMean!.dtype, 'float64');
  assert.equal(m.bn.numBatchesTracked!.dtype, 'int64');
  assert.ok(w.isDisposed, 'the old tensor was freed');
  const y = tidy(() => m.forward(randn([2, 1, 4, 4], { dtype: 'float64' })));
  assert.equal(y.dtype, 'float64');
  y.dispose();
  assert.throws(() => m.to({ dtype: 'int32' }), /floating point/);
  assert.throws(() => m.to('cuda:7'), /not available/);
  m.dispose();
  assert.deepEqual(memory(), base);
});

test('getSubmodule / setSubmodule by dotted path update the registry and the field', () => {
  const base = baselineMemory();
  const m = new Tiny();
  assert.equal(m.getSubmodule('body.1') instanceof Dropout, true);
  assert.throws(() => m.getSubmodule('body.7'), /no submodule 'body\.7'/);
  const old = m.setSubmodule('head', new Linear(32, 5));
  assert.equal(m.head.outFeatures, 5);
  tidy(() => assert.deepEqual(m.stateDict().get('head.bias')?.shape, [5]));
  old.dispose();
  const y = tidy(() => m.forward(arange(32, undefined, 1, { dtype: 'float32' }).reshape(2, 1, 4, 4)));
  assert.deepEqual(y.shape, [2, 5]);
  y.dispose();
  m.dispose();
  assert.deepEqual(memory(), base);
});

test('toString prints the module tree like PyTorch', () => {
  const m = new Tiny();
  const s = m.toString();
  assert.match(s, /^Tiny\(\n {2}\(conv\): Conv2d\(1, 2, kernel_size=\(3, 3\), stride=\(1, 1\), padding=\(1, 1\), bias=False\)/);
  assert.match(s, /\(head\): Linear\(in_features=32, out_features=3, bias=true\)/);
  m.dispose();
});
