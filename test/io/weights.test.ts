// loadWeightsFile: the format comes from the bytes, not the extension; the hash it returns is of the bytes it parsed
// (one read, so a file replaced meanwhile cannot pair one file's tensors with another's hash); unreadable files name
// the path; memory returns to baseline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { loadWeightsFile } from '../../src/io/index.js';
import { fixturePath, tempDir } from './fixtures.js';
import { baselineMemory } from '../baseline.js';
import { memory } from '../../src/index.js';

const hashOf = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

test('a torch.save file and a safetensors file are told apart by content, each with the hash of its bytes', () => {
  const dir = tempDir();
  const before = baselineMemory();
  // the PyTorch fixture renamed to .safetensors, and a safetensors fixture renamed to .pt: the extension is ignored
  const pt = join(dir, 'weights.safetensors');
  copyFileSync(fixturePath('pytorch', 'state_dict.pt'), pt);
  const st = join(dir, 'weights.pt');
  copyFileSync(fixturePath('safetensors', 'handmade.safetensors'), st);
  const a = loadWeightsFile(pt);
  assert.equal(a.format, 'pytorch');
  assert.equal(a.sha256, hashOf(pt));
  assert.ok(a.tensors.size > 0);
  for (const t of a.tensors.values()) t.dispose();
  const b = loadWeightsFile(st);
  assert.equal(b.format, 'safetensors');
  assert.equal(b.key, null);
  assert.equal(b.sha256, hashOf(st));
  assert.notEqual(a.sha256, b.sha256);
  for (const t of b.tensors.values()) t.dispose();
  assert.deepEqual(memory(), before);
});

test('missing, directory and garbage files are refused naming the path', () => {
  const dir = tempDir();
  const before = baselineMemory();
  assert.throws(() => loadWeightsFile(join(dir, 'absent.pt')), /weights file '.*absent\.pt' does not exist/);
  mkdirSync(join(dir, 'd.pt'));
  assert.throws(() => loadWeightsFile(join(dir, 'd.pt')), /weights file '.*d\.pt' is not a file/);
  writeFileSync(join(dir, 'junk.pt'), 'not weights at all');
  assert.throws(() => loadWeightsFile(join(dir, 'junk.pt')), /is neither a torch\.save file .* nor a safetensors file/);
  assert.deepEqual(memory(), before);
});
