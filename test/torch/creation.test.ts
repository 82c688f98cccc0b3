// Creating tensors: dtype inference, factories and their options, TypedArray import/export for every dtype.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arange, empty, eye, fromBuffer, full, fullLike, getNumThreads, linspace, memory, ones, onesLike, rand, randint, randn, randnLike,
  randperm, scalar, setNumThreads, tensor, tidy, zeros, zerosLike, type DType,
} from '../../src/index.js';
import { assertClose, assertTensor } from './helpers.js';
import { baselineMemory } from '../baseline.js';

test('tensor() infers dtype as PyTorch does: bool, int64, float32', () => {
  tidy(() => {
    assertTensor(tensor([[1, 2], [3, 4]]), [[1, 2], [3, 4]], 'int64');
    assertTensor(tensor([1, 2.5]), [1, 2.5], 'float32');
    assertTensor(tensor([true, false]), [true, false], 'bool');
    assertTensor(tensor([2n ** 40n, -3n]), [2 ** 40, -3], 'int64');
    assertTensor(tensor(7), 7, 'int64');
    assert.deepEqual(tensor(7).shape, []);
    assert.equal(tensor(0.5).dtype, 'float32');
    const empty0 = tensor([]);
    assert.deepEqual([empty0.shape, empty0.dtype], [[0], 'float32']);
    assert.deepEqual(tensor([[], []]).shape, [2, 0]);
    assert.equal(tensor([NaN, 1]).dtype, 'float32');
    // float32 rounding is real: 0.1 is not representable
    assert.equal(tensor([0.1]).toTypedArray()[0], Math.fround(0.1));
    assert.equal(tensor([0.1], { dtype: 'float64' }).toTypedArray()[0], 0.1);
  });
});

test('tensor() with an explicit dtype converts, including the 16-bit floats', () => {
  tidy(() => {
    assertTensor(tensor([1, 2], { dtype: 'float64' }), [1, 2], 'float64');
    assertTensor(tensor([1.9, -1.9], { dtype: 'int32' }), [1, -1], 'int32');
    assertTensor(tensor([0, 3, -1], { dtype: 'bool' }), [false, true, true], 'bool');
    assertTensor(tensor([300, -1], { dtype: 'int16' }), [300, -1], 'int16');
    // float16 has 11 significant bits: 1/3 rounds to 0.333251953125; bfloat16 has 8: 1/3 -> 0.333984375
    assertTensor(tensor([1 / 3], { dtype: 'float16' }).to('float64'), [0.333251953125], 'float64');
    assertTensor(tensor([1 / 3], { dtype: 'bfloat16' }).to('float64'), [0.333984375], 'float64');
    assert.equal(tensor([1], { dtype: 'float16' }).dtype, 'float16');
    // toArray shows 16-bit floats as values (their TypedArray export is raw bits)
    assert.deepEqual(tensor([1.5, -2], { dtype: 'float16' }).toArray(), [1.5, -2]);
    assert.deepEqual(tensor([[0.5]], { dtype: 'bfloat16' }).toArray(), [[0.5]]);
    assert.equal(tensor([1.5], { dtype: 'float16' }).item(), 1.5);
  });
});

// One row per dtype: the TypedArray it imports from and exports to, and values at the edges of its range.
const roundTrips: { dtype: DType; make: () => ArrayBufferView; ctor: string }[] = [
  { dtype: 'float32', make: () => new Float32Array([0, -1.5, 3.4028234663852886e38, Infinity, -Infinity, 1e-45]), ctor: 'Float32Array' },
  { dtype: 'float64', make: () => new Float64Array([0, -1.5, Number.MAX_VALUE, Number.MIN_VALUE, -Infinity, Math.PI]), ctor: 'Float64Array' },
  { dtype: 'int64', make: () => new BigInt64Array([0n, -1n, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n, 12345678901234n]), ctor: 'BigInt64Array' },
  { dtype: 'int32', make: () => new Int32Array([0, -1, 2147483647, -2147483648, 7, 42]), ctor: 'Int32Array' },
  { dtype: 'int16', make: () => new Int16Array([0, -1, 32767, -32768, 7, 42]), ctor: 'Int16Array' },
  { dtype: 'int8', make: () => new Int8Array([0, -1, 127, -128, 7, 42]), ctor: 'Int8Array' },
  { dtype: 'uint8', make: () => new Uint8Array([0, 1, 255, 128, 7, 42]), ctor: 'Uint8Array' },
  { dtype: 'bool', make: () => new Uint8Array([0, 1, 1, 0, 1, 0]), ctor: 'Uint8Array' },
  // 16-bit floats travel as raw bits: 0x3c00 = 1.0, 0xc000 = -2.0, 0x7c00 = +inf (float16); 0x3f80 = 1.0 (bfloat16)
  { dtype: 'float16', make: () => new Uint16Array([0x3c00, 0xc000, 0x7c00, 0, 0x3555, 0x0001]), ctor: 'Uint16Array' },
  { dtype: 'bfloat16', make: () => new Uint16Array([0x3f80, 0xc000, 0x7f80, 0, 0x3eab, 0x0001]), ctor: 'Uint16Array' },
];

for (const { dtype, make, ctor } of roundTrips) {
  test(`TypedArray round trip for ${dtype}: import, shape, export type and bits`, () => {
    tidy(() => {
      const src = make();
      const t = fromBuffer(src, dtype, [2, 3]);
      assert.equal(t.dtype, dtype);
      assert.deepEqual(t.shape, [2, 3]);
      const out = t.toTypedArray();
      assert.equal(out.constructor.name, ctor);
      assert.deepEqual(Array.from(out as ArrayLike<unknown>), Array.from(src as unknown as ArrayLike<unknown>));
      // one copy in: changing the source afterwards does not change the tensor; the export is a copy too
      (src as unknown as { [i: number]: number | bigint })[0] = typeof out[0] === 'bigint' ? 99n : 99;
      (out as unknown as { [i: number]: number | bigint })[1] = typeof out[0] === 'bigint' ? 77n : 77;
      assert.deepEqual(Array.from(t.toTypedArray() as ArrayLike<unknown>).slice(0, 2), Array.from(make() as unknown as ArrayLike<unknown>).slice(0, 2));
      if (dtype !== 'bool' && dtype !== 'float16' && dtype !== 'bfloat16') {
        // tensor(typedArray) keeps the array's own dtype
        const inferred = tensor(make());
        assert.equal(inferred.dtype, dtype);
        assert.deepEqual(inferred.shape, [6]);
      }
    });
  });
}

test('import honours a TypedArray view offset, DataView, ArrayBuffer and Node Buffer', () => {
  tidy(() => {
    const big = new Float32Array([9, 9, 1, 2, 3, 9]);
    assertTensor(tensor(big.subarray(2, 5)), [1, 2, 3], 'float32');
    assertTensor(tensor(new Float64Array([1, 2, 3, 4]), { shape: [2, 2] }), [[1, 2], [3, 4]], 'float64');
    const bytes = new Uint8Array(new Int32Array([5, -6]).buffer);
    assertTensor(fromBuffer(new DataView(bytes.buffer, 4, 4), 'int32', [1]), [-6], 'int32');
    assertTensor(fromBuffer(bytes.buffer, 'int32', [2]), [5, -6], 'int32');
    const buf = Buffer.from([1, 0, 2, 0]);
    assertTensor(fromBuffer(buf, 'int16', [2]), [1, 2], 'int16');
    assertTensor(tensor(new Uint8Array([0, 2]), { dtype: 'bool' }), [false, true], 'bool');
    assertTensor(tensor(new Int32Array([1, 2]), { dtype: 'float64' }), [1, 2], 'float64');
  });
});

test('zeros, ones, full, empty, scalar with dtype and requiresGrad options', () => {
  tidy(() => {
    assertTensor(zeros([2, 2]), [[0, 0], [0, 0]], 'float32');
    assertTensor(ones(3, { dtype: 'int64' }), [1, 1, 1], 'int64');
    assertTensor(full([2], 7, { dtype: 'int32' }), [7, 7], 'int32');
    assertTensor(full([1, 2], 0.5, { dtype: 'float64' }), [[0.5, 0.5]], 'float64');
    assertTensor(full([2], true, { dtype: 'bool' }), [true, true], 'bool');
    assertTensor(ones([], { dtype: 'float64' }), 1, 'float64');
    assert.deepEqual(zeros([0, 3]).shape, [0, 3]);
    const g = zeros([2], { requiresGrad: true });
    assert.ok(g.requiresGrad && g.isLeaf);
    assert.equal(ones([2]).requiresGrad, false);
    assert.deepEqual(empty([2, 3], { dtype: 'uint8' }).shape, [2, 3]);
    assertTensor(scalar(2.5), 2.5, 'float32');
    assert.equal(ones([2], { device: 'cpu' }).device, 'cpu');
  });
});

test('arange, linspace and eye', () => {
  tidy(() => {
    assertTensor(arange(5), [0, 1, 2, 3, 4], 'int64');
    assertTensor(arange(1, 10, 3), [1, 4, 7], 'int64');
    assertTensor(arange(5, 0, -2), [5, 3, 1], 'int64');
    assertTensor(arange(0, 1, 0.25), [0, 0.25, 0.5, 0.75], 'float32');
    assertTensor(arange(0, 3, 1, { dtype: 'float64' }), [0, 1, 2], 'float64');
    assertClose(linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
    assertClose(linspace(-1, 1, 3, { dtype: 'float64' }), [-1, 0, 1]);
    assertTensor(eye(2), [[1, 0], [0, 1]], 'float32');
    assertTensor(eye(2, 3, { dtype: 'int64' }), [[1, 0, 0], [0, 1, 0]], 'int64');
  });
});

test('rand, randn, randint, randperm: ranges, dtypes and rough statistics', () => {
  tidy(() => {
    const u = rand([10000]);
    assert.ok(u.min().item() >= 0 && u.max().item() < 1);
    assert.ok(Math.abs(u.mean().item() - 0.5) < 0.02);
    const n = randn([10000], { dtype: 'float64' });
    assert.equal(n.dtype, 'float64');
    assert.ok(Math.abs(n.mean().item()) < 0.05, 'mean ≈ 0');
    assert.ok(Math.abs(n.std().item() - 1) < 0.05, 'std ≈ 1');
    const r = randint(3, 7, [2000]);
    assert.equal(r.dtype, 'int64');
    assert.equal(r.min().item(), 3);
    assert.equal(r.max().item(), 6);
    assert.equal(randint(0, 5, [3], { dtype: 'int32' }).dtype, 'int32');
    const p = randperm(50);
    assert.equal(p.dtype, 'int64');
    assert.deepEqual((p.sort()[0].toArray() as number[]), Array.from({ length: 50 }, (_, i) => i));
  });
});

test('zerosLike, onesLike, fullLike, randnLike keep shape and dtype unless told otherwise', () => {
  tidy(() => {
    const t = ones([2, 3], { dtype: 'float64' });
    assertTensor(zerosLike(t), [[0, 0, 0], [0, 0, 0]], 'float64');
    assertTensor(onesLike(t, { dtype: 'int32' }), [[1, 1, 1], [1, 1, 1]], 'int32');
    assertTensor(fullLike(t, 4), [[4, 4, 4], [4, 4, 4]], 'float64');
    const r = randnLike(t);
    assert.deepEqual([r.shape, r.dtype], [[2, 3], 'float64']);
    assert.ok(zerosLike(t, { requiresGrad: true }).requiresGrad);
  });
});

test('export: item, toArray, shape, ndim, numel, size, dtype, device, toString', () => {
  tidy(() => {
    const t = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32' });
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.ndim, 2);
    assert.equal(t.numel(), 6);
    assert.equal(t.size(), 6);
    assert.equal(t.size(-1), 3);
    assert.throws(() => t.size(2), /out of range/);
    assert.equal(t.device, 'cpu');
    assert.equal(String(t), 'Tensor(shape=[2, 3], dtype=float32, device=cpu)');
    assert.equal(tensor([[2.5]]).item(), 2.5);
    assert.equal(tensor([true]).item(), 1);
    assert.equal(tensor([2n ** 50n]).item(), 2 ** 50);
    assert.throws(() => t.item(), /6 elements/);
    assert.deepEqual(tensor([[true], [false]]).toArray(), [[true], [false]]);
    assert.equal(tensor(3.5).toArray(), 3.5);
  });
});

test('to, clone, contiguous and detach return independent or aliasing tensors as in PyTorch', () => {
  tidy(() => {
    const t = tensor([1.7, -2.2], { dtype: 'float32' });
    assertTensor(t.to('int64'), [1, -2], 'int64');
    assertTensor(t.to({ dtype: 'float64' }).to('float32').long(), [1, -2], 'int64');
    assert.equal(t.double().dtype, 'float64');
    assert.equal(t.int().dtype, 'int32');
    assert.equal(t.bool().dtype, 'bool');
    assert.equal(t.cpu().device, 'cpu');
    const c = t.clone();
    c.add_(1);
    assertClose(t, [1.7, -2.2]);
    const d = t.detach();
    assert.equal(d.dataPtr(), t.dataPtr(), 'detach aliases');
    const m = arange(6).reshape(2, 3).t();
    assert.equal(m.isContiguous(), false);
    const mc = m.contiguous();
    assert.ok(mc.isContiguous());
    assertTensor(mc, [[0, 3], [1, 4], [2, 5]]);
  });
});

test('thread count defaults to the machine and validates input', () => {
  const n = getNumThreads();
  assert.ok(n >= 1);
  setNumThreads(1);
  assert.equal(getNumThreads(), 1);
  setNumThreads(n);
  assert.equal(getNumThreads(), n);
  assert.throws(() => setNumThreads(0), /positive integer/);
  assert.throws(() => setNumThreads(1.5), /positive integer/);
  assert.throws(() => setNumThreads(1e9), /setNumThreads: 1000000000 threads is more than this machine's \d+ cores/);
});

test('creation functions leave nothing behind inside tidy', () => {
  const before = baselineMemory();
  tidy(() => {
    tensor([1, 2], { dtype: 'float16' });
    tensor(new Int32Array([1, 2]), { dtype: 'float64' });
    zeros([3], { requiresGrad: true });
  });
  assert.deepEqual(memory(), before);
});
