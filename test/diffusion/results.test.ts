// The diffusion results document: its Markdown has the benchmark's rows, results.json reads back unchanged, the
// old format-less results.json converts to the same document, and a damaged file names the bad field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffusionResultsMarkdown, readDiffusionResults, writeDiffusionResults } from '../../src/diffusion/index.js';
import { currentDoc, gridsDir, legacyJson } from './results-fixture.js';

test('results.md: summary, definitions, the main and per-class tables, the grids', () => {
  const md = diffusionResultsMarkdown(currentDoc()).split('\n');
  for (const line of [
    'Forgotten class: 1 (Trouser). Evaluation classifier: smallcnn, 91.51% test accuracy.',
    'Sampler: DDIM, 20 steps, eta 0, guidance w = 2; 50 samples of the forgotten class, 20 per remaining class.',
    '| model | UA % (forgotten class not recognised) | acc. on remaining classes % | FD (remaining classes) | unlearning time s | trainable |',
    '|---|---:|---:|---:|---:|---:|',
    '| original | 32.0 | 37.2 | 447.40 | – | – |',
    '| salun | 98.0 | 36.1 | 443.90 | 83 | 343736 / 687473 |',
    '| ga | 52.0 | 31.7 | – | 35 | 687473 / 687473 |',
    '| model | 0 T-shirt/top | 1 Trouser | 2 Pullover | 3 Dress | 4 Coat | 5 Sandal | 6 Shirt | 7 Sneaker | 8 Bag | 9 Ankle boot |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    '| original | 60 | 68 | 30 | 25 | 40 | 33 | 10 | 55 | 41 | 31 |',
    '| salun | 58 | 2 | 31 | 25 | 41 | 35 | 9 | 52 | 44 | 30 |',
    '| ga | 50 | 48 | 20 | 19 | 33 | 30 | 8 | 47 | 40 | 28 |',
    // what the forgotten class's samples became: the fixture's counts per predicted class
    'The 50 samples of the forgotten class (1 Trouser), classified as:',
    '| original | 0 | 34 | 16 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |',
    '| salun | 0 | 1 | 49 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |',
    '| ga | 0 | 24 | 26 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |',
    'Grids: grid-original.png, grid-salun.png, grid-ga.png (one row per class, classes 0–9 top to bottom).',
  ]) {
    assert.ok(md.includes(line), `missing line: ${line}`);
  }
  // DDPM takes no eta: the summary names its variance instead
  const ddpm = currentDoc();
  ddpm.sampling = { ...ddpm.sampling, sampler: 'ddpm', steps: 1000, eta: 1 };
  assert.ok(diffusionResultsMarkdown(ddpm).split('\n').includes('Sampler: DDPM, 1000 steps, posterior variance, guidance w = 2; 50 samples of the forgotten class, 20 per remaining class.'));
  assert.ok(md.some((l) => l.startsWith('UA = share of the samples generated for the forgotten class') && l.includes('does not classify as that class')));
  assert.ok(md.some((l) => l.startsWith('FD = Fréchet distance') && l.includes('128-d penultimate features') && l.includes('NOT Inception FID') && l.includes('comparable only within Lethe')));
});

test('results.json and results.md are written, and results.json reads back to the same document', () => {
  const dir = gridsDir();
  const doc = currentDoc();
  writeDiffusionResults(dir, doc);
  assert.equal(readFileSync(join(dir, 'results.md'), 'utf8'), diffusionResultsMarkdown(doc));
  const raw = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { format: string; rows: { frechet: unknown }[] };
  assert.equal(raw.format, 'lethe-diffusion-results');
  assert.equal(raw.rows[2]!.frechet, null, 'JSON has no NaN');
  assert.deepEqual(readDiffusionResults(raw, 'results.json'), doc);
});

test('the old format-less results.json converts to the same document', () => {
  const doc = readDiffusionResults(legacyJson(), 'results.json');
  assert.deepEqual(doc, currentDoc());
  assert.deepEqual(
    doc!.rows.map((r) => [r.model, r.grid, r.seconds]),
    [
      ['original', 'grid-original.png', null],
      ['salun', 'grid-salun.png', 83.4],
      ['ga', 'grid-ga.png', 35.2],
    ],
  );
});

test('a results.json written before forgetPredictions were recorded reads with null ones and no such table', () => {
  const old = JSON.parse(JSON.stringify(currentDoc())) as { rows: { forgetPredictions?: unknown }[] };
  for (const r of old.rows) delete r.forgetPredictions;
  const doc = readDiffusionResults(old, 'results.json')!;
  // everything else is the current document's
  const expected = currentDoc();
  for (const r of expected.rows) r.forgetPredictions = null;
  assert.deepEqual(doc, expected);
  assert.ok(!diffusionResultsMarkdown(doc).includes('classified as:'), 'no table without the counts');
});

test('other JSON is not diffusion results; a damaged one names the field', () => {
  assert.equal(readDiffusionResults({ format: 'lethe-results' }, 'r.json'), null);
  assert.equal(readDiffusionResults([1, 2], 'r.json'), null);
  const legacy = legacyJson() as { reports: { salun: { ua: unknown } } };
  legacy.reports.salun.ua = 'high';
  assert.throws(() => readDiffusionResults(legacy, 'r.json'), /r\.json\.reports\.salun\.ua is not a number; rerun the diffusion benchmark/);
  const current = JSON.parse(JSON.stringify(currentDoc())) as { rows: { perClassAccuracy: unknown }[]; formatVersion: number };
  current.rows[1]!.perClassAccuracy = 'none';
  assert.throws(() => readDiffusionResults(current, 'r.json'), /r\.json\.rows\[1\]\.perClassAccuracy is not an array of numbers/);
  const counts = JSON.parse(JSON.stringify(currentDoc())) as { rows: { forgetPredictions: unknown }[] };
  counts.rows[2]!.forgetPredictions = { bag: 100 };
  assert.throws(() => readDiffusionResults(counts, 'r.json'), /r\.json\.rows\[2\]\.forgetPredictions is not an array of numbers/);
  current.formatVersion = 2;
  assert.throws(() => readDiffusionResults(current, 'r.json'), /format version 2 is not supported/);
});
