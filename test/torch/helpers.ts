// Shared assertions for the engine tests: tensors against hand-computed nested arrays, with a tolerance.
import assert from 'node:assert/strict';
import { Tensor, type NestedArray } from '../../src/index.js';

/** The shape of a (rectangular) nested array, as tensor() would infer it. */
export function shapeOfNested(x: NestedArray): number[] {
  const shape: number[] = [];
  for (let v: NestedArray = x; Array.isArray(v); v = v[0]!) shape.push(v.length);
  return shape;
}

function flat(x: NestedArray): number[] {
  if (Array.isArray(x)) return x.flatMap((v) => flat(v));
  return [typeof x === 'boolean' ? (x ? 1 : 0) : Number(x)];
}

function sameNumber(a: number, e: number, tol: number): boolean {
  if (Number.isNaN(e)) return Number.isNaN(a);
  if (!Number.isFinite(e)) return a === e;
  return Math.abs(a - e) <= tol * (1 + Math.abs(e));
}

/**
 * Asserts a tensor (or nested array) equals `expected` elementwise within tol·(1 + |expected|); a tensor's shape
 * must equal the nested array's shape exactly (a scalar tensor matches a plain number).
 */
export function assertClose(actual: Tensor | NestedArray, expected: NestedArray, tol = 1e-6, what = 'value'): void {
  if (actual instanceof Tensor) {
    assert.deepEqual(actual.shape, shapeOfNested(expected), `${what}: shape`);
    actual = actual.toArray();
  }
  const a = flat(actual);
  const e = flat(expected);
  assert.equal(a.length, e.length, `${what}: element count`);
  for (let i = 0; i < a.length; i++) {
    if (!sameNumber(a[i]!, e[i]!, tol)) {
      assert.fail(`${what}: element ${i} is ${a[i]} but ${e[i]} was expected (tol ${tol})\nactual:   ${JSON.stringify(actual)}\nexpected: ${JSON.stringify(expected)}`);
    }
  }
}

/** Exact equality of values, dtype and shape. */
export function assertTensor(actual: Tensor, expected: NestedArray, dtype?: Tensor['dtype']): void {
  if (dtype !== undefined) assert.equal(actual.dtype, dtype, 'dtype');
  assert.deepEqual(actual.shape, shapeOfNested(expected), 'shape');
  assert.deepEqual(actual.toArray(), expected);
}

/** Largest |a - b| between two tensors of the same shape. */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape, 'maxAbsDiff: shapes differ');
  const x = a.toTypedArray();
  const y = b.toTypedArray();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(Number(x[i]) - Number(y[i])));
  return m;
}
