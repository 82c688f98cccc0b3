// The unpickler past 255 memo entries, where pickle switches to LONG_BINPUT/LONG_BINGET (every real ResNet saved
// with torch.save gets there), the opcodes with 64-bit lengths, and sets. The larger pickles come from the writer in
// ./torch-save.ts, whose output is checked here against the sha256 of what Python 3.11's pickle module writes for
// the same structure, so they are the bytes a real file holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PyDict, PySet, PyTuple, unpickle, type PyGlobal, type PyValue } from '../../src/io/pickle.js';
import { loadPytorchCheckpoint, loadSafetensors } from '../../src/io/index.js';
import { createModel, memory, tidy, type Tensor } from '../../src/index.js';
import { baselineMemory } from '../baseline.js';
import { runCli } from '../cli/helpers.js';
import { tempDir } from './fixtures.js';
import {
  contiguousStride,
  Dict,
  Float,
  float32Bytes,
  int64Bytes,
  pickle,
  PSet,
  stateDict,
  storage,
  tensorV2,
  torchSaveArchive,
  Tuple,
  type PickleValue,
} from './torch-save.js';

const refuseAll = (module: string, name: string): PyGlobal => {
  throw new Error(`global ${module}.${name} refused`);
};
const load = (bytes: number[] | Uint8Array): PyValue => unpickle(Uint8Array.from(bytes), { source: 'test.pkl', resolveGlobal: refuseAll });
const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const le64 = (n: number | bigint): number[] => [...Buffer.from(BigUint64Array.from([BigInt(n)]).buffer)];
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A decoded value as plain JS: tuples and lists as arrays, dicts as [key, value] pairs in order. */
function plain(v: PyValue): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof PyTuple) return { tuple: v.items.map(plain) };
  if (v instanceof PyDict) return { dict: [...v.map].map(([k, x]) => [plain(k), plain(x)]) };
  if (v instanceof PySet) return { [v.frozen ? 'frozenset' : 'set']: v.items.map(plain) };
  return v;
}

test('LONG_BINPUT and LONG_BINGET store and fetch memo entries by their full 4-byte index', () => {
  // Promise: a pickle with more than 255 memoised objects (every ResNet state dict) decodes; the memo index is
  // 32-bit little-endian, entries whose low bytes agree are distinct, and a fetched object is the same object.
  const v = load([
    0x80, 2,
    0x5d, 0x72, ...le32(256), //                EMPTY_LIST, LONG_BINPUT 256 (the outer list)
    0x28, //                                      MARK
    0x4b, 9, 0x71, 1, 0x30, //                    BININT1 9, BINPUT 1, POP
    0x8c, 3, 0x61, 0x62, 0x63, 0x72, ...le32(0x10001), 0x30, // 'abc', LONG_BINPUT 65537, POP
    0x5d, 0x72, ...le32(0xffffff), 0x4b, 7, 0x61, // EMPTY_LIST, LONG_BINPUT 16777215, BININT1 7, APPEND
    0x6a, ...le32(0x10001), //                    LONG_BINGET 65537 -> 'abc' (not entry 1)
    0x6a, ...le32(1), //                          LONG_BINGET 1 -> 9
    0x6a, ...le32(0xffffff), //                   LONG_BINGET 16777215 -> the inner list itself
    0x65, //                                      APPENDS
    0x6a, ...le32(256), 0x30, //                  LONG_BINGET 256, POP (the outer list, read back)
    0x2e,
  ]);
  assert.deepEqual(v, [[7], 'abc', 9, [7]]);
  const outer = v as PyValue[];
  assert.equal(outer[0], outer[3], 'LONG_BINGET returns the memoised object, not a copy');
  assert.throws(() => load([0x80, 2, 0x4b, 1, 0x72, ...le32(300), 0x6a, ...le32(301), 0x2e]), /pickle data in 'test\.pkl': memo entry 301 read before it was written/);
  assert.throws(() => load([0x80, 2, 0x4b, 1, 0x72, ...le32(300), 0x6a, 0x2c, 0x01]), /truncated at byte 10 \(needs 4 more bytes, has 2\)/);
});

test('a protocol-2 and a protocol-4 pickle of a dict of 300 keys (900 memo entries) decode exactly', () => {
  // Promise: what Python writes for a structure with hundreds of memoised objects comes back value for value,
  // shared references included ({'k0': ('k0', 0, [0.0]), ..., 'again': <the tuple of 'k299'>}).
  const d = new Dict();
  const expected: [string, unknown][] = [];
  for (let i = 0; i < 300; i++) {
    const k = `k${i}`;
    d.entries.push([k, new Tuple([k, i, [new Float(i / 4)]])]);
    expected.push([k, { tuple: [k, i, [i / 4]] }]);
  }
  d.entries.push(['again', d.entries[299]![1]]);
  expected.push(['again', expected[299]![1]]);
  const python = {
    // sha256(pickle.dumps(d, protocol)) in Python 3.11
    2: 'e50ed1e27559126d2534d6bf340c7d2d625e79efb456f58d72bb306f317cbe0b',
    4: 'a38c1ec44fcb087549b5d1f775e449f7862dd178099b59b2ea1d88461f0f72f8',
  };
  for (const protocol of [2, 4] as const) {
    const counts: Record<string, number> = {};
    const bytes = pickle(d, protocol, counts);
    assert.equal(sha256(bytes), python[protocol], `protocol ${protocol}: the writer no longer writes what Python writes`);
    // the keys of the second half are memoised past 255: fetched by LONG_BINGET (and stored by LONG_BINPUT in protocol 2)
    assert.equal(counts['LONG_BINGET'], 216);
    if (protocol === 2) assert.equal(counts['LONG_BINPUT'], 646);
    else assert.equal(counts['MEMOIZE'], 902);
    const v = load(bytes);
    assert.deepEqual(plain(v), { dict: expected });
    const map = (v as PyDict).map;
    assert.equal(map.get('again'), map.get('k299'), 'the shared tuple is one object');
    const t = map.get('k280') as PyTuple;
    assert.equal(t.items[0], 'k280');
    assert.equal(t.items[1], 280); // BININT2
  }
});

test('BINUNICODE8, BINBYTES8 and BYTEARRAY8 read 8-byte lengths, and a length beyond the data is refused', () => {
  // Promise: protocol-4 strings and bytes with 64-bit lengths load; a corrupt length says so instead of reading on.
  assert.equal(load([0x80, 4, 0x8d, ...le64(3), 0x68, 0xc3, 0xa9, 0x2e]), 'hé');
  assert.deepEqual(load([0x80, 4, 0x8e, ...le64(2), 0x00, 0xff, 0x2e]), Uint8Array.from([0, 255]));
  assert.deepEqual(load([0x80, 5, 0x96, ...le64(1), 0x2a, 0x2e]), Uint8Array.from([42]));
  assert.equal(load([0x80, 4, 0x8d, ...le64(0), 0x2e]), '');
  for (const op of [0x8d, 0x8e, 0x96]) {
    assert.throws(() => load([0x80, 4, op, ...le64(1000), 0x61, 0x62, 0x2e]), /pickle data in 'test\.pkl': length 1000 at byte 3 exceeds the data size/);
    assert.throws(() => load([0x80, 4, op, ...le64(2n ** 63n), 0x2e]), /length 9223372036854775808 at byte 3 exceeds the data size/);
  }
  // within the data but past its end: truncated
  assert.throws(() => load([0x80, 4, 0x8d, ...le64(5), 0x61, 0x2e]), /truncated at byte 11 \(needs 5 more bytes, has 2\)/);
});

test('sets and frozensets (protocol 4) decode to PySet, and misuse of their opcodes is named', () => {
  // Promise: a checkpoint holding sets (e.g. a set of class ids beside the weights) loads, and damaged set opcodes
  // give a clear error naming the kind of object.
  const v = load(pickle(new Dict([['s', new PSet([1, 2, 'x'])], ['f', new PSet([3], true)], ['e', new PSet([])]]), 4)) as PyDict;
  assert.deepEqual(plain(v), { dict: [['s', { set: [1, 2, 'x'] }], ['f', { frozenset: [3] }], ['e', { set: [] }]] });
  assert.ok(v.map.get('s') instanceof PySet && !(v.map.get('s') as PySet).frozen);
  assert.ok((v.map.get('f') as PySet).frozen);
  // ADDITEMS in two batches adds to the same set
  assert.deepEqual(plain(load([0x80, 4, 0x8f, 0x28, 0x4b, 1, 0x90, 0x28, 0x4b, 2, 0x4b, 3, 0x90, 0x2e])), { set: [1, 2, 3] });
  assert.throws(() => load([0x80, 4, 0x5d, 0x28, 0x4b, 1, 0x90, 0x2e]), /ADDITEMS on a list/);
  assert.throws(() => load([0x80, 4, 0x8f, 0x4b, 1, 0x61, 0x2e]), /APPEND\(S\) on a set/);
  assert.throws(() => load([0x80, 4, 0x28, 0x91, 0x4b, 1, 0x4b, 2, 0x73, 0x2e]), /SETITEM\(S\) on a frozenset/);
});

// ---- a state dict past 255 memo entries, end to end

/** 123 tensors (float32 and int64, one strided view of a shared storage), as a 40-layer model's state dict. */
function bigStateDict(): { root: PickleValue; storages: Map<string, Uint8Array>; expected: Map<string, { shape: number[]; values: number[] }> } {
  const storages = new Map<string, Uint8Array>();
  const expected = new Map<string, { shape: number[]; values: number[] }>();
  const entries: [string, PickleValue][] = [];
  const metadata: [string, number][] = [['', 1]];
  let key = 0;
  const add = (name: string, type: 'FloatStorage' | 'LongStorage', shape: number[], values: number[]): void => {
    const k = String(key++);
    storages.set(k, type === 'FloatStorage' ? float32Bytes(values) : int64Bytes(values));
    entries.push([name, tensorV2(storage(type, k, values.length), 0, new Tuple(shape), contiguousStride(shape))]);
    expected.set(name, { shape, values });
  };
  for (let i = 0; i < 40; i++) {
    add(`layers.${i}.weight`, 'FloatStorage', [3, 2], [0, 1, 2, 3, 4, 5].map((j) => i + j / 8));
    add(`layers.${i}.bias`, 'FloatStorage', [3], [-i, i / 2, 0.25]);
    add(`layers.${i}.num_batches_tracked`, 'LongStorage', [], [i * 1000]);
    metadata.push([`layers.${i}`, 2]);
  }
  // a transposed 2x2 view at offset 2 of the first weight's storage (0, 0.125, 0.25, 0.375, 0.5, 0.625)
  entries.push(['shared_view', tensorV2(storage('FloatStorage', '0', 6), 2, new Tuple([2, 2]), [1, 2])]);
  expected.set('shared_view', { shape: [2, 2], values: [0.25, 0.5, 0.375, 0.625] });
  add('big4d', 'FloatStorage', [2, 2, 2, 2], Array.from({ length: 16 }, (_, j) => j - 8));
  return { root: stateDict(entries, metadata), storages, expected };
}

function values(t: Tensor): number[] {
  return Array.from(t.toTypedArray() as ArrayLike<number | bigint>, Number);
}

test('a torch.save state dict with about 1,000 memo entries loads every tensor exactly (protocols 2 and 4)', () => {
  // Promise: `lethe import` of a large model's torch.save file (past 255 memo entries, so LONG_BINPUT/LONG_BINGET
  // or MEMOIZE/LONG_BINGET) gives back every tensor with the values written, in order, with no tensor leaked.
  const { root, storages, expected } = bigStateDict();
  const python = {
    // sha256 of the pickle Python 3.11 writes for the same state dict (torch.save's structure, a stand-in torch module)
    2: '9b86302fbb1e5329c5d1d30b239bc4771a2b9b6670f877edfc8af18a82548c76',
    4: 'e486059b251e5a3e89b8bf07bf5396c142ccafb351ac8317d0c220fefeb9b0ab',
  };
  const dir = tempDir();
  for (const protocol of [2, 4] as const) {
    const counts: Record<string, number> = {};
    assert.equal(sha256(pickle(root, protocol, counts)), python[protocol], `protocol ${protocol}: the writer no longer writes what Python writes`);
    assert.ok((counts['LONG_BINGET'] ?? 0) > 0 && (protocol === 4 || (counts['LONG_BINPUT'] ?? 0) > 0), JSON.stringify(counts));
    const path = join(dir, `big-p${protocol}.pt`);
    writeFileSync(path, torchSaveArchive(root, storages, { protocol }));
    const before = baselineMemory();
    const { tensors, key } = loadPytorchCheckpoint(path);
    try {
      assert.equal(key, null);
      assert.deepEqual([...tensors.keys()], [...expected.keys()]);
      for (const [name, e] of expected) {
        const t = tensors.get(name)!;
        assert.equal(t.dtype, name.endsWith('num_batches_tracked') ? 'int64' : 'float32', name);
        assert.deepEqual(t.shape, e.shape, name);
        assert.deepEqual(values(t), e.values, name);
      }
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
    assert.deepEqual(memory(), before);
  }
});

test('lethe import of a resnet20 saved the way torch.save saves it gives back the same weights', async () => {
  // Promise: a ResNet state dict written by torch.save (its pickle well past 255 memo entries) imports through the
  // CLI, and the checkpoint it writes holds exactly the weights that were saved.
  const dir = tempDir();
  const base = baselineMemory();
  const model = createModel({ name: 'resnet20', inChannels: 1, numClasses: 10, mean: [0.286], std: [0.353] });
  const saved = new Map<string, { dtype: string; shape: number[]; values: number[] }>();
  const storages = new Map<string, Uint8Array>();
  const entries: [string, PickleValue][] = [];
  const prefixes = new Set<string>(['']);
  // (the state dict's tensors, detached handles, are freed by tidy)
  for (const [name, t, typed] of tidy(() => [...model.stateDict()].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, numel: t.numel() }, t.contiguous().toTypedArray()] as const))) {
    const key = String(storages.size);
    storages.set(key, Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength));
    const type = t.dtype === 'float32' ? 'FloatStorage' : t.dtype === 'int64' ? 'LongStorage' : assert.fail(`${name}: ${t.dtype}`);
    entries.push([name, tensorV2(storage(type, key, t.numel), 0, new Tuple(t.shape), contiguousStride(t.shape))]);
    saved.set(name, { dtype: t.dtype, shape: t.shape, values: Array.from(typed as ArrayLike<number | bigint>, Number) });
    prefixes.add(name.slice(0, name.lastIndexOf('.')));
  }
  model.dispose();
  assert.deepEqual(memory(), base);
  const root = stateDict(entries, [...prefixes].map((p) => [p, 1]));
  const counts: Record<string, number> = {};
  pickle(root, 2, counts);
  assert.ok((counts['LONG_BINPUT'] ?? 0) > 500 && (counts['LONG_BINGET'] ?? 0) > 0, JSON.stringify(counts));
  writeFileSync(join(dir, 'resnet20.pt'), torchSaveArchive(root, storages));

  // (smaller sets than TINY's: the import evaluates the model on them, and only the weights matter here)
  const r = await runCli(['import', 'resnet20.pt', '--model', 'resnet20', '--train-size', '200', '--test-size', '100', '--seed', '1', '--out', 'imported', '--json'], dir, { LETHE_NUM_THREADS: '1' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /import: pytorch weights → resnet20/);
  const { tensors } = loadSafetensors(join(dir, 'imported', 'model.safetensors'));
  try {
    assert.deepEqual([...tensors.keys()].sort(), [...saved.keys()].sort());
    for (const [name, e] of saved) {
      const t = tensors.get(name)!;
      assert.equal(t.dtype, e.dtype, name);
      assert.deepEqual(t.shape, e.shape, name);
      assert.deepEqual(values(t), e.values, name);
    }
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
});
