// What bench and demo may replace in a results directory: their own tables and run records, nothing a user put there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearRuns, refuseForeignResults } from '../../src/cli/bench.js';
import { tempDir } from './helpers.js';

test('clearRuns removes the run records (stale ones too) and keeps every other file', () => {
  const d = tempDir('lethe-runs-');
  mkdirSync(join(d, 'runs', 'stale'), { recursive: true });
  const records = ['ga-seed1-0123abcd-89ef0123.json', 'retrain-seed2-0123abcd.json', 'l1-sparse-seed3-ab12-cd34.json', join('stale', 'ft-seed1-0a-1b.json')];
  const kept = ['mine.txt', 'notes.json', join('stale', 'keep.md')];
  for (const f of [...records, ...kept]) writeFileSync(join(d, 'runs', f), '{}');
  clearRuns(d);
  for (const f of records) assert.ok(!existsSync(join(d, 'runs', f)), `${f} removed`);
  for (const f of kept) assert.ok(existsSync(join(d, 'runs', f)), `${f} kept`);
  clearRuns(join(d, 'nowhere')); // nothing to clear is not an error
});

test('refuseForeignResults: new, empty and Lethe-written directories pass; other files and formats do not', () => {
  const d = tempDir('lethe-results-dir-');
  refuseForeignResults(join(d, 'new'));
  mkdirSync(join(d, 'empty'));
  refuseForeignResults(join(d, 'empty'));
  mkdirSync(join(d, 'ours', 'runs'), { recursive: true });
  refuseForeignResults(join(d, 'ours'));
  writeFileSync(join(d, 'ours', 'results.json'), JSON.stringify({ format: 'lethe-results', formatVersion: 1 }));
  refuseForeignResults(join(d, 'ours'));
  mkdirSync(join(d, 'theirs'));
  writeFileSync(join(d, 'theirs', 'results.json'), JSON.stringify({ accuracy: 0.9 }));
  assert.throws(() => refuseForeignResults(join(d, 'theirs')), /--out: '.*results\.json' is not a results file Lethe wrote/);
  writeFileSync(join(d, 'theirs', 'results.json'), 'not json');
  assert.throws(() => refuseForeignResults(join(d, 'theirs')), /is not a results file Lethe wrote/);
  mkdirSync(join(d, 'docs'));
  for (const f of ['a.txt', 'b.txt', 'c.txt', 'd.txt']) writeFileSync(join(d, 'docs', f), 'x');
  assert.throws(() => refuseForeignResults(join(d, 'docs')), /holds other files \(a\.txt, b\.txt, c\.txt, …\), not a results directory; choose a new or empty --out/);
});
