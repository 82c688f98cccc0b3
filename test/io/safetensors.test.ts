// safetensors: byte layout against a hand-built fixture, round trips for every dtype, validation of bad files,
// atomic writes, and memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arange, fromBuffer, memory, tensor, tidy, type DType, type Tensor } from '../../src/index.js';
import { call } from '../../src/torch/tensor.js';
import { aten } from '../../src/torch/aten.js';
import { dtypeCode } from '../../src/torch/dtype.js';
import { loadSafetensors, parseSafetensors, saveSafetensors, serializeSafetensors } from '../../src/io/index.js';
import { assertTensorEquals, fixturePath, tempDir, type ExpectedTensor } from './fixtures.js';
import { escapeRegExp } from '../regexp.js';
import { baselineMemory } from '../baseline.js';

interface HandmadeExpected {
  metadata: Record<string, string>;
  order: string[];
  tensors: Record<string, ExpectedTensor>;
}

/** Builds a tensor from the fixture JSON's exact values. */
function fromExpected(e: ExpectedTensor): Tensor {
  const v = e.values;
  const dtype = e.dtype as DType;
  switch (dtype) {
    case 'float64':
      return fromBuffer(Float64Array.from(v as number[]), dtype, e.shape);
    case 'float32':
      return fromBuffer(Float32Array.from(v as number[]), dtype, e.shape);
    case 'float16':
    case 'bfloat16':
      return fromBuffer(Uint16Array.from(v as number[]), dtype, e.shape);
    case 'int64':
      return fromBuffer(BigInt64Array.from(v as string[], (s) => BigInt(s)), dtype, e.shape);
    case 'int32':
      return fromBuffer(Int32Array.from(v as number[]), dtype, e.shape);
    case 'int16':
      return fromBuffer(Int16Array.from(v as number[]), dtype, e.shape);
    case 'int8':
      return fromBuffer(Int8Array.from(v as number[]), dtype, e.shape);
    case 'uint8':
      return fromBuffer(Uint8Array.from(v as number[]), dtype, e.shape);
    case 'bool':
      return fromBuffer(Uint8Array.from(v as boolean[], (b) => (b ? 1 : 0)), dtype, e.shape);
  }
}

/** A file from a header string and data bytes, with a correct length prefix (for malformed-file tests). */
function file(header: string, data: Uint8Array = new Uint8Array(0), declaredLength?: number): Buffer {
  const h = Buffer.from(header, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(declaredLength ?? h.length));
  return Buffer.concat([len, h, data]);
}

function dispose(m: Map<string, Tensor>): void {
  for (const t of m.values()) t.dispose();
}

test('writer output is byte-identical to the hand-built fixture (official layout)', () => {
  const expected = JSON.parse(readFileSync(fixturePath('safetensors', 'handmade.expected.json'), 'utf8')) as HandmadeExpected;
  const bytes = readFileSync(fixturePath('safetensors', 'handmade.safetensors'));
  tidy(() => {
    // Insertion order differs from the file order on purpose: the writer must sort (dtype rank, then name).
    const tensors = new Map<string, Tensor>();
    for (const name of expected.order) tensors.set(name, fromExpected(expected.tensors[name]!));
    const out = serializeSafetensors(tensors, expected.metadata);
    assert.equal(out.length, bytes.length);
    assert.ok(out.equals(bytes), 'serialized bytes differ from the fixture');
    // The same from a plain object with keys in yet another order.
    const reversed: Record<string, Tensor> = {};
    for (const name of [...expected.order].reverse()) reversed[name] = tensors.get(name)!;
    assert.ok(serializeSafetensors(reversed, expected.metadata).equals(bytes));
  });
});

test('reading the hand-built fixture gives the exact values and metadata', () => {
  const expected = JSON.parse(readFileSync(fixturePath('safetensors', 'handmade.expected.json'), 'utf8')) as HandmadeExpected;
  const { tensors, metadata } = loadSafetensors(fixturePath('safetensors', 'handmade.safetensors'));
  try {
    assert.deepEqual(metadata, expected.metadata);
    assert.deepEqual([...tensors.keys()].sort(), [...expected.order].sort());
    for (const [name, e] of Object.entries(expected.tensors)) assertTensorEquals(tensors.get(name)!, e, name);
    // File order: I64, F64, F32 (a.weight < café.weight < conv1.weight < zero), I32, BF16, F16, I16, I8, U8, BOOL.
    assert.deepEqual([...tensors.keys()], ['bn.num_batches_tracked', 'fc.bias', 'a.weight', 'café.weight', 'conv1.weight', 'zero',
      'counts', 'emb.bf16', 'emb.half', 'small', 'signed', 'bytes', 'mask']);
  } finally {
    dispose(tensors);
  }
});

test('header layout: little-endian length, compact JSON, space padding to 8 bytes', () => {
  tidy(() => {
    // One F32 tensor [1,2,3] holding 0..5: the JSON is exactly 64 bytes, so no padding.
    const t = arange(6, undefined, 1, { dtype: 'float32' }).reshape(1, 2, 3);
    const out = serializeSafetensors({ 'attn.0': t });
    const json = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    assert.equal(json.length, 64);
    assert.equal(out.readBigUInt64LE(0), 64n);
    assert.equal(out.toString('utf8', 8, 72), json);
    assert.deepEqual([...out.subarray(72)], [...Buffer.from(new Float32Array([0, 1, 2, 3, 4, 5]).buffer)]);
    // A shorter name gives 63 bytes of JSON + 1 space.
    const out2 = serializeSafetensors({ attn0: t });
    assert.equal(out2.readBigUInt64LE(0), 64n);
    assert.equal(out2[8 + 63], 0x20);
    // No tensors: "{}" padded to 8; with metadata, __metadata__ comes first.
    assert.deepEqual([...serializeSafetensors({})], [8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 32, 32, 32, 32, 32, 32]);
    const meta = serializeSafetensors({}, { framework: 'pt' });
    assert.equal(meta.readBigUInt64LE(0), 40n);
    assert.equal(meta.toString('utf8', 8), '{"__metadata__":{"framework":"pt"}}     ');
  });
});

test('round trip of every dtype, with edge values, through a buffer and through a file', () => {
  const dir = tempDir();
  const before = baselineMemory();
  tidy(() => {
    const f32 = tensor(new Float32Array([0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -3.4e38, 1e-45]));
    const sources: Record<string, Tensor> = {
      f32,
      f64: tensor(new Float64Array([Math.PI, -Number.MAX_VALUE, Number.MIN_VALUE, Number.NaN, Number.NEGATIVE_INFINITY]), { shape: [5] }),
      f16: f32.to('float16'),
      bf16: f32.to('bfloat16'),
      i64: tensor(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n, 2n ** 53n + 1n])),
      i32: tensor(new Int32Array([-(2 ** 31), 2 ** 31 - 1, 7])),
      i16: tensor(new Int16Array([-32768, 32767])),
      i8: tensor(new Int8Array([-128, 127])),
      u8: tensor(new Uint8Array([0, 255, 128]), { shape: [3] }),
      b: tensor([[true, false], [false, true]]),
      scalar: tensor(new Float32Array([42.5]), { shape: [] }),
      empty: tensor(new Float32Array(0), { shape: [0, 4] }),
      transposed: arange(12, undefined, 1, { dtype: 'float64' }).reshape(3, 4).t(), // non-contiguous input
    };
    const check = (loaded: Map<string, Tensor>): void => {
      assert.equal(loaded.size, Object.keys(sources).length);
      for (const [name, src] of Object.entries(sources)) {
        const got = loaded.get(name)!;
        assert.equal(got.dtype, src.dtype, name);
        assert.deepEqual(got.shape, src.shape, name);
        // bit-exact (NaN payloads, -0 included)
        const a = src.toTypedArray();
        const b = got.toTypedArray();
        assert.deepEqual(Buffer.from(b.buffer, b.byteOffset, b.byteLength), Buffer.from(a.buffer, a.byteOffset, a.byteLength), name);
      }
    };
    const viaBuffer = parseSafetensors(serializeSafetensors(sources, { note: 'round trip' }));
    assert.deepEqual(viaBuffer.metadata, { note: 'round trip' });
    check(viaBuffer.tensors);
    const path = join(dir, 'all.safetensors');
    saveSafetensors(path, new Map(Object.entries(sources)));
    const viaFile = loadSafetensors(path);
    assert.deepEqual(viaFile.metadata, {});
    check(viaFile.tensors);
    assert.deepEqual(sources.transposed!.toArray(), [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]);
    assert.deepEqual(viaFile.tensors.get('transposed')!.toArray(), [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]);
  });
  assert.deepEqual(memory(), before);
});

test('malformed files throw errors naming the file and the problem', () => {
  const f32x2 = new Uint8Array(new Float32Array([1, 2]).buffer);
  const ok = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /'bad\.st'.*0 bytes long, shorter than the 8-byte header length/],
    ['short', new Uint8Array(5), /5 bytes long, shorter than the 8-byte header/],
    ['length past end', file(ok, f32x2, 1000), /header length field says 1000 bytes but only \d+ bytes follow.*truncated/],
    ['huge length', file(ok, f32x2, 2 ** 40), /header length field says 1099511627776 bytes \(limit/],
    ['invalid utf-8', Buffer.concat([file('{"a":1}').subarray(0, 8), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x20, 0x20, 0x20])]), /not valid UTF-8/],
    ['bad json', file('{"w":{"dtype":"F32",', f32x2), /not valid JSON/],
    ['json array', file('[1,2]'), /not a JSON object/],
    ['unknown dtype', file('{"w":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}', f32x2), /tensor 'w' has unknown dtype "F33"/],
    ['foreign dtype', file('{"w":{"dtype":"U32","shape":[2],"data_offsets":[0,8]}}', f32x2), /dtype U32, which Lethe does not support.*convert/],
    ['bad shape', file('{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', f32x2), /tensor 'w' has an invalid shape/],
    ['bad offsets', file('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}', f32x2), /tensor 'w' has invalid data_offsets/],
    ['reversed offsets', file('{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}', f32x2), /end before they begin/],
    ['offsets past end', file('{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', f32x2), /beyond the end of the data section \(8 bytes\).*truncated/],
    ['size mismatch', file('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', f32x2), /shape \[3\] and dtype F32 \(12 bytes\) but data_offsets \[0, 8\] span 8 bytes/],
    ['overlap', file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32x2), /tensor 'b' \(bytes 4\.\.8\) overlaps the previous tensor/],
    ['gap', file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32x2), /starts at byte 4 but the previous tensor ends at byte 0/],
    ['trailing bytes', file(ok, new Uint8Array(12)), /cover 8 bytes of data but the file has 12.*trailing/],
    ['bad metadata', file('{"__metadata__":{"epoch":3}}'), /'__metadata__' must map strings to strings/],
  ];
  for (const [what, bytes, pattern] of cases) {
    assert.throws(() => parseSafetensors(bytes, 'bad.st'), (e: Error) => {
      assert.match(e.message, /^safetensors file 'bad\.st': /, what);
      assert.match(e.message, pattern, what);
      return true;
    }, what);
  }
  // The same checks apply to files on disk, and the path is named.
  const dir = tempDir();
  const path = join(dir, 'truncated.safetensors');
  const good = tidy(() => serializeSafetensors({ w: arange(10, undefined, 1, { dtype: 'float32' }) }));
  writeFileSync(path, good.subarray(0, good.length - 3));
  assert.throws(() => loadSafetensors(path), new RegExp(`safetensors file '${escapeRegExp(path)}'.*beyond the end`));
  assert.throws(() => loadSafetensors(join(dir, 'missing.safetensors')), /missing\.safetensors': cannot be read \(ENOENT/);
});

test('bad input to the writer throws clear errors', () => {
  tidy(() => {
    const t = arange(3);
    assert.throws(() => serializeSafetensors({ __metadata__: t }), /'__metadata__' is reserved/);
    assert.throws(() => serializeSafetensors({ w: t }, { epoch: 3 as unknown as string }), /metadata 'epoch' must be a string/);
    assert.throws(() => serializeSafetensors({ w: [1, 2] as unknown as Tensor }), /'w' is not a Tensor/);
    const gone = arange(2);
    gone.dispose();
    assert.throws(() => serializeSafetensors({ w: gone }), /tensor 'w' was disposed/);
  });
});

test('atomic save: no temporary file left, and a failed save never clobbers the existing file', () => {
  const dir = tempDir();
  const path = join(dir, 'model.safetensors');
  tidy(() => {
    saveSafetensors(path, { w: arange(4, undefined, 1, { dtype: 'float32' }) }, { v: '1' });
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
    const original = readFileSync(path);

    // Fails while preparing (bad metadata): nothing is written.
    assert.throws(() => saveSafetensors(path, { w: arange(8) }, { v: 2 as unknown as string }), /must be a string/);
    // Fails while writing: a meta tensor has no data to copy, so the error comes after the temp file was created.
    const meta = call(aten('empty', 'memory_format'), [1000], dtypeCode('float32'), null, 'meta', null, null);
    assert.throws(() => saveSafetensors(path, { a: arange(8, undefined, 1, { dtype: 'float64' }), z: meta }), /cannot read the data of tensor 'z'.*meta tensor/);
    assert.ok(readFileSync(path).equals(original), 'the existing file was modified');
    assert.deepEqual(readdirSync(dir), ['model.safetensors'], 'a temporary file was left behind');

    // Overwriting with a good save replaces it completely.
    saveSafetensors(path, { w: arange(2, undefined, 1, { dtype: 'int32' }) });
    const back = loadSafetensors(path);
    assert.deepEqual(back.tensors.get('w')!.toArray(), [0, 1]);
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
    assert.throws(() => saveSafetensors(join(dir, 'no', 'such', 'dir.safetensors'), { w: arange(2) }), /cannot write '.*dir\.safetensors': ENOENT/);
  });
});

test('memory returns to baseline after loading and disposing', () => {
  const path = fixturePath('safetensors', 'handmade.safetensors');
  loadSafetensors(path).tensors.forEach((t) => t.dispose()); // warm-up
  const before = baselineMemory();
  for (let i = 0; i < 20; i++) {
    const { tensors } = loadSafetensors(path);
    assert.equal(memory().numTensors, before.numTensors + 13);
    dispose(tensors);
  }
  tidy(() => {
    loadSafetensors(path);
  });
  assert.deepEqual(memory(), before);
});
