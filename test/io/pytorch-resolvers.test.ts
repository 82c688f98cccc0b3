// The PyTorch importer's allowed globals (_rebuild_tensor_v3, torch.Size, torch.device, _codecs.encode) on
// torch.save archives written by ./torch-save.ts, and the clear errors for what it cannot load: tensors of an
// unsupported type, a storage record missing or too short, a view reaching past its storage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPytorchCheckpoint, type PytorchCheckpoint } from '../../src/io/index.js';
import { memory, type Tensor } from '../../src/index.js';
import { baselineMemory } from '../baseline.js';
import { escapeRegExp } from '../regexp.js';
import { tempDir } from './fixtures.js';
import {
  Dict,
  Float,
  float32Bytes,
  Global,
  int64Bytes,
  Persistent,
  PSet,
  Reduce,
  stateDict,
  storage,
  tensorV2,
  tensorV3,
  torchSaveArchive,
  Tuple,
  type PickleValue,
} from './torch-save.js';

const dir = tempDir();
let files = 0;

/** Writes a torch.save archive of `root` with these storages, and returns its path. */
function save(root: PickleValue, storages: [string, Uint8Array][], o: { protocol?: 2 | 4; omit?: string[] } = {}): string {
  const path = join(dir, `f${files++}.pt`);
  writeFileSync(path, torchSaveArchive(root, new Map(storages), o));
  return path;
}

const torchSize = (dims: number[]): Reduce => new Reduce(new Global('torch', 'Size'), new Tuple([new Tuple(dims)]));
const torchDevice = (...args: PickleValue[]): Reduce => new Reduce(new Global('torch', 'device'), new Tuple(args));
const dtype = (name: string): Global => new Global('torch', name);
const values = (t: Tensor): number[] => Array.from(t.toTypedArray() as ArrayLike<number | bigint>, Number);
const dispose = (c: PytorchCheckpoint): void => c.tensors.forEach((t) => t.dispose());

/** Asserts that loading `path` throws an error naming the file and matching `problem`, and leaks no tensor. */
function refused(path: string, problem: RegExp): void {
  const before = baselineMemory();
  assert.throws(() => loadPytorchCheckpoint(path), (e: Error) => {
    assert.match(e.message, new RegExp(`^PyTorch file '${escapeRegExp(path)}': ${problem.source}`));
    return true;
  });
  assert.deepEqual(memory(), before, 'a failed load leaked tensors');
}

test('_rebuild_tensor_v3, torch.Size, torch.device and _codecs.encode load (protocol 2)', () => {
  // Promise: a checkpoint as newer PyTorch writes it (tensors through _rebuild_tensor_v3 with their dtype, a
  // torch.Size as a tensor's size, devices and bytes among the other entries) loads, values and extras exact.
  const sd = stateDict([
    ['v2', tensorV2(storage('FloatStorage', '0', 4), 0, new Tuple([2, 2]), [2, 1])],
    ['v3', tensorV3(storage('FloatStorage', '1', 6), 1, new Tuple([2, 2]), [1, 2], dtype('float32'))],
    ['v3long', tensorV3(storage('LongStorage', '2', 3), 0, new Tuple([3]), [1], dtype('int64'))],
    ['sized', tensorV2(storage('FloatStorage', '0', 4), 0, torchSize([4]), [1])],
    ['v3sized', tensorV3(storage('LongStorage', '2', 3), 1, torchSize([2]), [1], dtype('long'))],
  ]);
  const root = new Dict([
    ['state_dict', sd],
    ['shape', torchSize([2, 3])],
    ['device', torchDevice('cuda', 0)],
    ['cpu', torchDevice('cpu')],
    ['blob', Uint8Array.from([0x00, 0xff, 0xe9, 0x41])],
  ]);
  const path = save(root, [
    ['0', float32Bytes([1, 2, 3, 4])],
    ['1', float32Bytes([9, 0.5, 1.5, 2.5, 3.5, 9])],
    ['2', int64Bytes([7n, -8n, 2n ** 40n])],
  ]);
  const before = baselineMemory();
  const c = loadPytorchCheckpoint(path);
  try {
    assert.equal(c.key, 'state_dict');
    const t = (k: string): Tensor => c.tensors.get(k)!;
    assert.deepEqual(t('v2').toArray(), [[1, 2], [3, 4]]);
    // offset 1, stride [1, 2]: the transposed view of 0.5, 1.5, 2.5, 3.5
    assert.deepEqual(t('v3').toArray(), [[0.5, 2.5], [1.5, 3.5]]);
    assert.equal(t('v3long').dtype, 'int64');
    assert.deepEqual(values(t('v3long')), [7, -8, 2 ** 40]);
    assert.deepEqual(t('sized').shape, [4]);
    assert.deepEqual(t('sized').toArray(), [1, 2, 3, 4]);
    assert.deepEqual(values(t('v3sized')), [-8, 2 ** 40]);
    // _codecs.encode(text, 'latin1') is the bytes themselves
    assert.deepEqual(c.extras, { shape: [2, 3], device: 'cuda:0', cpu: 'cpu', blob: Uint8Array.from([0x00, 0xff, 0xe9, 0x41]) });
  } finally {
    dispose(c);
  }
  assert.deepEqual(memory(), before);
});

test('protocol 4: sets among the other entries become arrays, tensors load as in protocol 2', () => {
  // Promise: torch.save(..., pickle_protocol=4) of a checkpoint with sets and bytes beside the weights loads.
  const root = new Dict([
    ['model', stateDict([['w', tensorV3(storage('FloatStorage', '0', 2), 0, torchSize([2]), [1], dtype('float32'))]])],
    ['classes', new PSet([3, 5])],
    ['frozen', new PSet(['a'], true)],
    ['raw', Uint8Array.from([1, 2])],
  ]);
  const c = loadPytorchCheckpoint(save(root, [['0', float32Bytes([0.25, -4])]], { protocol: 4 }));
  try {
    assert.equal(c.key, 'model');
    assert.deepEqual(c.tensors.get('w')!.toArray(), [0.25, -4]);
    const { raw, ...rest } = c.extras;
    assert.deepEqual(rest, { classes: [3, 5], frozen: ['a'] });
    assert.deepEqual(Uint8Array.from(raw as Uint8Array), Uint8Array.from([1, 2])); // SHORT_BINBYTES (a Buffer here)
  } finally {
    dispose(c);
  }
});

test('protocol 2: sets, frozensets, a Counter and empty bytes beside the weights load (torch.save\'s default protocol)', () => {
  // Promise: a reference training checkpoint saved with torch.save's defaults loads even when it carries a Python set
  // or an LR scheduler's state (MultiStepLR keeps its milestones in a collections.Counter) beside the weights.
  const counter = (d: Dict | null): Reduce => new Reduce(new Global('collections', 'Counter'), new Tuple(d === null ? [] : [d]));
  const root = new Dict([
    ['state_dict', stateDict([['w', tensorV2(storage('FloatStorage', '0', 2), 0, new Tuple([2]), [1])]])],
    ['classes', new PSet([3, 5])], // __builtin__.set([3, 5])
    ['frozen', new PSet(['a'], true)],
    ['empty', new PSet([])],
    ['py3', new Reduce(new Global('builtins', 'set'), new Tuple([new Tuple([7, 8])]))], // Python 3's spelling, a tuple
    ['scheduler', new Dict([['milestones', counter(new Dict([[50, 1], [75, 1]]))], ['last_epoch', 3]])],
    ['none', counter(null)],
    ['nothing', Uint8Array.from([])], // __builtin__.bytes()
  ]);
  const c = loadPytorchCheckpoint(save(root, [['0', float32Bytes([1.5, -2])]]));
  try {
    assert.equal(c.key, 'state_dict');
    assert.deepEqual(c.tensors.get('w')!.toArray(), [1.5, -2]);
    const { nothing, ...rest } = c.extras;
    assert.deepEqual(rest, { classes: [3, 5], frozen: ['a'], empty: [], py3: [7, 8], scheduler: { milestones: { 50: 1, 75: 1 }, last_epoch: 3 }, none: {} });
    assert.equal((nothing as Uint8Array).length, 0);
  } finally {
    dispose(c);
  }
  // what they refuse: a set of a number, a Counter of a list, bytes() with arguments; other builtins stay refused
  const one = (v: PickleValue): string => save(new Dict([['sd', stateDict([['w', tensorV2(storage('FloatStorage', '0', 2), 0, new Tuple([2]), [1])]])], ['x', v]]), [['0', float32Bytes([1, 2])]]);
  refused(one(new Reduce(new Global('__builtin__', 'set'), new Tuple([5]))), /set\(\) of an int\. The file is corrupt/);
  refused(one(new Reduce(new Global('__builtin__', 'frozenset'), new Tuple(['ab']))), /frozenset\(\) of a str\. The file is corrupt/);
  refused(one(new Reduce(new Global('collections', 'Counter'), new Tuple([[1, 1]]))), /Counter\(\) of a list\. The file is corrupt/);
  refused(one(new Reduce(new Global('__builtin__', 'bytes'), new Tuple([3]))), /bytes\(\) is only allowed without arguments\. In Python, load it and save only the tensors/);
  refused(one(new Reduce(new Global('__builtin__', 'eval'), new Tuple(['1']))), /the pickle refers to builtins\.eval, which Lethe refuses to load/);
  refused(one(new Reduce(new Global('builtins', 'getattr'), new Tuple([1, 'x']))), /the pickle refers to builtins\.getattr, which Lethe refuses to load/);
});

test("the SalUn reference's training checkpoint (optimizer momentum, MultiStepLR's Counter, init_weight) loads its state_dict", () => {
  // Promise (README, lethe import): SalUn's main_train.py saves {result, epoch, state_dict, best_sa, optimizer,
  // scheduler, init_weight} with torch.save's defaults; the weights come from 'state_dict', not from the optimizer's
  // momentum buffers or the initial weights, and the scheduler's Counter does not stop the import.
  const t = (key: string, size: number[]): PickleValue => tensorV2(storage('FloatStorage', key, 2), 0, new Tuple(size), [1]);
  const root = new Dict([
    ['result', new Dict([['train_ta', [new Float(90.5)]]])],
    ['epoch', 182],
    ['init_weight', stateDict([['w', t('2', [2])]])],
    ['state_dict', stateDict([['w', t('0', [2])]])],
    ['best_sa', new Float(95.25)],
    ['optimizer', new Dict([['state', new Dict([[0, new Dict([['momentum_buffer', t('1', [2])]])]])], ['param_groups', [new Dict([['lr', new Float(0.001)], ['momentum', new Float(0.9)], ['params', [0]]])]]])],
    ['scheduler', new Dict([['milestones', new Reduce(new Global('collections', 'Counter'), new Tuple([new Dict([[91, 1], [136, 1]])]))], ['gamma', new Float(0.1)], ['last_epoch', 182]])],
  ]);
  const c = loadPytorchCheckpoint(save(root, [['0', float32Bytes([1, 2])], ['1', float32Bytes([3, 4])], ['2', float32Bytes([5, 6])]]));
  try {
    assert.equal(c.key, 'state_dict');
    assert.deepEqual(c.tensors.get('w')!.toArray(), [1, 2]);
    assert.equal(c.extras['epoch'], 182);
    assert.deepEqual(c.extras['scheduler'], { milestones: { 91: 1, 136: 1 }, gamma: 0.1, last_epoch: 182 });
  } finally {
    dispose(c);
  }
});

test('what the resolvers refuse: a v3 dtype that is no dtype, a dtype unlike its storage, non-latin1 _codecs.encode', () => {
  // Promise: a malformed or unsupported newer-PyTorch file gets a message saying what is wrong, not a crash.
  const one = (t: PickleValue, storages: [string, Uint8Array][] = [['0', float32Bytes([1, 2])]]): string => save(stateDict([['x', t]]), storages);
  refused(one(tensorV3(storage('FloatStorage', '0', 2), 0, new Tuple([2]), [1], null)), /_rebuild_tensor_v3 got None as dtype\. The file is corrupt or uses a dtype Lethe does not support/);
  refused(one(tensorV3(storage('FloatStorage', '0', 2), 0, new Tuple([2]), [1], new Global('torch', 'FloatStorage'))), /_rebuild_tensor_v3 got torch\.FloatStorage as dtype/);
  refused(one(tensorV3(storage('FloatStorage', '0', 2), 0, new Tuple([2]), [1], dtype('int64'))), /tensor 'x' \(int64\) views a float32 storage\. Save t\.clone\(\) instead/);
  // what PyTorch 2 writes for a uint16 tensor: an untyped storage and torch.uint16
  refused(one(tensorV3(storage('UntypedStorage', '0', 4), 0, new Tuple([2]), [1], dtype('uint16'))), /it holds tensors of type torch\.UntypedStorage, which Lethe does not support\. Supported: DoubleStorage, FloatStorage, /);
  const encoded = (args: PickleValue[]): string => save(new Dict([['sd', stateDict([['w', tensorV2(storage('FloatStorage', '0', 2), 0, new Tuple([2]), [1])]])], ['b', new Reduce(new Global('_codecs', 'encode'), new Tuple(args))]]), [['0', float32Bytes([1, 2])]]);
  refused(encoded(['é', 'utf-8']), /_codecs\.encode is only allowed for latin1 bytes\. In Python, load it and save only the tensors/);
  refused(encoded([5, 'latin1']), /_codecs\.encode is only allowed for latin1 bytes/);
  const c = loadPytorchCheckpoint(encoded(['é', 'latin-1'])); // both spellings of the codec
  assert.deepEqual(c.extras['b'], Uint8Array.from([0xe9]));
  dispose(c);
});

test('tensors of a type Lethe does not load are refused by name', () => {
  // Promise: complex, quantized or sparse tensors and unknown storages give an error naming the type and what to
  // do, before anything is allocated.
  const one = (t: PickleValue): string => save(stateDict([['x', t]]), [['0', float32Bytes([1, 2])]]);
  refused(one(tensorV2(storage('ComplexFloatStorage', '0', 1), 0, new Tuple([1]), [1])), /it holds tensors of type torch\.ComplexFloatStorage, which Lethe does not support\. Supported: DoubleStorage, FloatStorage, HalfStorage, BFloat16Storage, LongStorage, IntStorage, ShortStorage, CharStorage, ByteStorage, BoolStorage\. Convert them in Python before saving/);
  refused(one(tensorV2(storage('QInt8Storage', '0', 1), 0, new Tuple([1]), [1])), /it holds tensors of type torch\.QInt8Storage, which Lethe does not support/);
  refused(one(new Reduce(new Global('torch._utils', '_rebuild_sparse_tensor'), new Tuple([]))), /it holds a tensor kind rebuilt by torch\._utils\._rebuild_sparse_tensor \(sparse, quantized, meta, numpy-backed or a Tensor subclass\), which Lethe does not load\. Convert such tensors/);
  refused(one(new Reduce(new Global('torch._tensor', '_rebuild_from_type_v2'), new Tuple([]))), /it holds a tensor kind rebuilt by torch\._tensor\._rebuild_from_type_v2/);
  // a persistent id that is not a storage of a known type
  refused(one(tensorV2(new Persistent(new Tuple(['storage', dtype('float32'), '0', 'cpu', 2])), 0, new Tuple([2]), [1])), /storage of type torch\.float32 is not supported\. Supported: DoubleStorage/);
  refused(one(tensorV2(new Persistent(new Tuple(['module', 'x'])), 0, new Tuple([2]), [1])), /unknown persistent id a tuple\. The file is corrupt or was not written by torch\.save/);
  refused(one(tensorV2(storage('FloatStorage', '../0', 2), 0, new Tuple([2]), [1])), /invalid storage key a str\. The file is corrupt/);
});

test('a storage record that is missing or too short, or a view past its storage, is refused clearly', () => {
  // Promise: a truncated or hand-damaged file never reads outside its data: each inconsistency between the pickle
  // and the records is named, and nothing is leaked.
  const w = (offset: number, size: number[], stride: number[], numel = 12): PickleValue => stateDict([
    ['ok', tensorV2(storage('FloatStorage', '1', 1), 0, new Tuple([]), [])],
    ['w', tensorV2(storage('FloatStorage', '0', numel), offset, new Tuple(size), stride)],
  ]);
  const twelve: [string, Uint8Array][] = [['0', float32Bytes(Array.from({ length: 12 }, (_, i) => i))], ['1', float32Bytes([5])]];
  refused(save(w(0, [3, 4], [4, 1]), twelve, { omit: ['archive/data/0'] }), /the archive lacks the storage record 'archive\/data\/0'\. The file is truncated or corrupt; save it again/);
  refused(save(w(0, [3, 4], [4, 1], 13), twelve), /storage '0' has 48 bytes, but 13 elements of float32 need 52\. The file is corrupt/);
  refused(save(w(0, [3], [1], 3), [['0', Buffer.alloc(13)], ['1', float32Bytes([5])]]), /storage '0' has 13 bytes, but 3 elements of float32 need 12/);
  refused(save(w(1, [3, 4], [4, 1]), twelve), /tensor 'w' \(offset 1, size \[3,4\], stride \[4,1\]\) reaches past its storage of 12 elements\. The file is corrupt/);
  refused(save(w(0, [4, 3], [4, 1]), twelve), /tensor 'w' \(offset 0, size \[4,3\], stride \[4,1\]\) reaches past its storage of 12 elements/);
  refused(save(w(12, [1], [1]), twelve), /tensor 'w' \(offset 12, size \[1\], stride \[1\]\) reaches past its storage of 12 elements/);
  refused(save(w(0, [3, 4], [4, -1]), twelve), /tensor 'w' has a negative size, stride or offset/);
  refused(save(w(-1, [2], [1]), twelve), /tensor 'w' has a negative size, stride or offset/);
  refused(save(w(0, [3, 4], [4]), twelve), /tensor 'w' has 2 sizes but 1 strides/);
  refused(save(stateDict([['w', tensorV2(storage('FloatStorage', '0', 12), 0, new Tuple([2, 'x']), [1, 1])]]), twelve), /tensor size is a str, expected an integer/);
  // the last element exactly at the end of the storage loads (views: transposed, offset, empty past the end)
  for (const [offset, size, stride, expected] of [
    [0, [3, 4], [4, 1], [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]],
    [0, [4, 3], [1, 4], [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]],
    [11, [1], [1], [11]],
    [12, [0, 3], [3, 1], []],
  ] as [number, number[], number[], unknown][]) {
    const before = baselineMemory();
    const c = loadPytorchCheckpoint(save(w(offset, size, stride), twelve));
    assert.deepEqual(c.tensors.get('w')!.shape, size);
    assert.deepEqual(c.tensors.get('w')!.toArray(), expected);
    dispose(c);
    assert.deepEqual(memory(), before);
  }
});
