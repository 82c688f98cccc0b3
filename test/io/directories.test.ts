// ensureDirectory: mkdir -p that makes each level itself, because Node 20's recursive mkdirSync spins forever
// under a directory that answers ENOENT to new entries (/proc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDirectory } from '../../src/io/atomic.js';

test('ensureDirectory makes missing levels, accepts an existing directory, and names the problem otherwise', () => {
  const root = mkdtempSync(join(tmpdir(), 'lethe-dirs-'));
  const deep = join(root, 'a', 'b', 'c');
  ensureDirectory(deep);
  assert.ok(statSync(deep).isDirectory());
  ensureDirectory(deep); // again: nothing to do
  writeFileSync(join(root, 'file'), 'x');
  assert.throws(() => ensureDirectory(join(root, 'file', 'sub')), /cannot create directory '.*file\/sub': '.*file' is a file/);
  // returns with an error at once; mkdirSync('/proc/x/y', { recursive: true }) does not return on Node 20
  assert.throws(() => ensureDirectory('/proc/lethe-x/y'), /cannot create directory '\/proc\/lethe-x\/y': ENOENT/);
});
