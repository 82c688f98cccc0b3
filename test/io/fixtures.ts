// Shared helpers for the serialization tests: locating fixtures and comparing tensors with expected values.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../../src/index.js';

/** test/fixtures/<sub>, found from either the compiled (dist/test/io) or the source location. */
export function fixturePath(...parts: string[]): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'test', 'fixtures');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return join(candidate, ...parts);
    dir = dirname(dir);
  }
  throw new Error('test/fixtures not found (run scripts/make-fixtures.py)');
}

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test process exits. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lethe-io-'));
  tempDirs.push(d);
  return d;
}

/** What scripts/make-fixtures.py writes per tensor (int64 as strings, 16-bit floats as raw bits). */
export interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: (number | string | boolean)[];
}

/** Asserts dtype, shape and every value exactly. */
export function assertTensorEquals(t: Tensor, e: ExpectedTensor, name: string): void {
  assert.equal(t.dtype, e.dtype, `${name}: dtype`);
  assert.deepEqual(t.shape, e.shape, `${name}: shape`);
  const flat = t.toTypedArray();
  assert.equal(flat.length, e.values.length, `${name}: element count`);
  const got: (number | string | boolean)[] = [];
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i]!;
    if (typeof v === 'bigint') got.push(v.toString());
    else if (t.dtype === 'bool') got.push(v !== 0);
    else got.push(v);
  }
  assert.deepEqual(got, e.values, `${name}: values`);
}
