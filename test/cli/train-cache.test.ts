// `lethe train --cache` writes where bench looks for the same model, so a benchmark's original and retrain can train
// as two processes at once and the bench then reuses both instead of training them one after the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TINY, errorLine, runCli, tempDir } from './helpers.js';

const MODEL = ['--model', 'mlp', ...TINY, '--epochs', '1'];

test('train --cache: the original and the retrain side by side, then bench reuses both', async () => {
  const dir = tempDir('lethe-train-cache-');
  const one = { LETHE_NUM_THREADS: '1' };
  const [original, retrain] = await Promise.all([
    runCli(['train', '--cache', ...MODEL, '--quiet'], dir, one),
    runCli(['train', '--cache', ...MODEL, '--forget', 'random:0.1', '--quiet'], dir, one),
  ]);
  assert.equal(original.code, 0, original.stderr);
  assert.equal(retrain.code, 0, retrain.stderr);
  const models = readdirSync(join(dir, 'cache', 'models')).sort();
  assert.equal(models.length, 2);
  assert.match(models[0]!, /^original-mlp-[0-9a-f]{16}$/);
  assert.match(models[1]!, /^retrain-mlp-[0-9a-f]{16}$/);
  const bench = await runCli(['bench', ...MODEL, '--methods', 'ga', '--seeds', '1', '--out', 'bench'], dir);
  assert.equal(bench.code, 0, bench.stderr);
  assert.match(bench.stderr, /original \(seed 1\): reusing the finished model in .*original-mlp-/);
  assert.match(bench.stderr, /retrain \(seed 1\): reusing the finished model in .*retrain-mlp-/);
  assert.equal(readdirSync(join(dir, 'cache', 'models')).length, 2, 'bench trained nothing of its own');
});

test('train --cache: --cache-dir picks the cache; --out with --cache, or --cache-dir alone, is a usage error', async () => {
  const dir = tempDir('lethe-train-cache-');
  const r = await runCli(['train', '--cache', '--cache-dir', 'elsewhere', ...MODEL, '--quiet'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'elsewhere', 'models')));
  assert.ok(!existsSync(join(dir, 'cache')), 'LETHE_CACHE was not used');
  const both = await runCli(['train', '--cache', '--out', 'x', ...MODEL], dir);
  assert.equal(both.code, 2);
  assert.match(errorLine(both), /--out and --cache: give one of them/);
  const alone = await runCli(['train', '--cache-dir', 'elsewhere', '--out', 'x', ...MODEL], dir);
  assert.equal(alone.code, 2);
  assert.match(errorLine(alone), /--cache-dir: only with --cache/);
  const neither = await runCli(['train', ...MODEL], dir);
  assert.equal(neither.code, 2);
  assert.match(errorLine(neither), /--out.*or --cache/);
});
