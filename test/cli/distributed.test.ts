// `--nproc 2` runs train and unlearn as two local workers; rank 0 alone writes the checkpoint; bad flags exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './helpers.js';

test('lethe train/unlearn --nproc 2: one checkpoint, written by rank 0', async () => {
  const dir = tempDir('lethe-dp-');
  const data = ['--model', 'mlp', '--train-size', '1200', '--test-size', '300', '--quiet'];
  const t = await runCli(['train', ...data, '--epochs', '2', '--out', join(dir, 'orig'), '--nproc', '2'], dir);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /\[rank 0\] # original mlp: trained/);
  assert.doesNotMatch(t.stdout, /\[rank 1\] # original/);
  const manifest = JSON.parse(readFileSync(join(dir, 'orig', 'manifest.json'), 'utf8')) as { kind: string };
  assert.equal(manifest.kind, 'original');
  const u = await runCli(['unlearn', '--from', join(dir, 'orig'), '--forget', 'random:0.1', '--method', 'ft', '--epochs', '1', '--out', join(dir, 'ft'), '--nproc', '2', '--quiet'], dir);
  assert.equal(u.code, 0, u.stderr);
  assert.ok(existsSync(join(dir, 'ft', 'manifest.json')));
  const bad = await runCli(['train', ...data, '--out', join(dir, 'x'), '--nproc', '2', '--rank', '0'], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /either --nproc .* or --rank/);
});
