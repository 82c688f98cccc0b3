// `lethe report` on the diffusion benchmark's results: the page holds every table value and class name, and each
// sample grid as a data: URI whose bytes are exactly the PNG file's; the old format-less results.json renders the
// same page; a missing or damaged grid is one clear error and writes no page. Hand-made results, no training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FASHION_MNIST_CLASSES } from '../../src/data/index.js';
import { writeDiffusionResults } from '../../src/diffusion/index.js';
import { renderDiffusionHtml } from '../../src/cli/report/diffusion-html.js';
import { currentDoc, gridsDir, legacyJson } from '../diffusion/results-fixture.js';
import { errorLine, runCli } from './helpers.js';

const row = (cells: string[]): string => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;

/** The page's data: URIs, decoded, in page order. */
const embedded = (html: string): Buffer[] => [...html.matchAll(/<img src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64'));

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = gridsDir();
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'the page has the tables, the class names, the definitions and the grids byte for byte',
  withDir(async (dir) => {
    writeDiffusionResults(dir, currentDoc());
    const r = await runCli(['report', '.', '--html', 'diffusion.html', '--png'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /diffusion results, 3 models, 3 sample grids/);
    assert.match(r.stdout, /--png: ignored for diffusion results/);
    const html = readFileSync(join(dir, 'diffusion.html'), 'utf8');
    for (const cells of [
      ['original', '32.0', '37.2', '447.40', '–', '–'],
      ['salun', '98.0', '36.1', '443.90', '83', '343736 / 687473'],
      ['ga', '52.0', '31.7', '–', '35', '687473 / 687473'],
      ['original', '60', '68', '30', '25', '40', '33', '10', '55', '41', '31'],
      ['salun', '58', '2', '31', '25', '41', '35', '9', '52', '44', '30'],
      ['ga', '50', '48', '20', '19', '33', '30', '8', '47', '40', '28'],
      // the forgotten class's samples, counted by predicted class
      ['salun', '0', '1', '49', '0', '0', '0', '0', '0', '0', '0'],
      ['ga', '0', '24', '26', '0', '0', '0', '0', '0', '0', '0'],
    ]) {
      assert.ok(html.includes(row(cells)), `missing row ${cells.join(' | ')}`);
    }
    FASHION_MNIST_CLASSES.forEach((name, i) => assert.ok(html.includes(`<th>${i} ${name}</th>`), `missing class ${name}`));
    assert.match(html, /Forgotten class: 1 \(Trouser\)/);
    assert.match(html, /<li>UA = share of the samples generated for the forgotten class/);
    assert.match(html, /NOT Inception FID: comparable only within Lethe/);
    const grids = embedded(html);
    assert.equal(grids.length, 3);
    ['original', 'salun', 'ga'].forEach((model, i) => {
      assert.ok(grids[i]!.equals(readFileSync(join(dir, `grid-${model}.png`))), `grid of ${model}`);
      assert.match(html, new RegExp(`<figcaption><strong>${model}</strong> \\(grid-${model}\\.png\\): rows are classes 0–9`));
    });
    assert.match(html, /<img src="data:image\/png;base64,[^"]+" width="6" height="6"/, 'the 3×3 grid shown at twice its size');
    assert.doesNotMatch(html, /<script|https?:\/\//, 'no scripts and no external resources');
    assert.ok(!existsSync(join(dir, 'diffusion-per-class.png')), 'no chart PNGs for a diffusion report');
  }),
);

test(
  'the old results.json of the running benchmark gives the same page',
  withDir(async (dir) => {
    writeDiffusionResults(dir, currentDoc());
    const a = await runCli(['report', 'results.json', '--html', 'new.html'], dir);
    assert.equal(a.code, 0, a.stderr);
    writeFileSync(join(dir, 'results.json'), JSON.stringify(legacyJson(), null, 2));
    const b = await runCli(['report', '.', '--html', 'old.html'], dir);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(readFileSync(join(dir, 'old.html'), 'utf8'), readFileSync(join(dir, 'new.html'), 'utf8'));
  }),
);

test(
  'a missing or damaged grid is a clear error and leaves no page; other JSON is not a results file',
  withDir(async (dir) => {
    writeFileSync(join(dir, 'results.json'), JSON.stringify(legacyJson()));
    unlinkSync(join(dir, 'grid-ga.png'));
    const missing = await runCli(['report', '.', '--html', 'out.html'], dir);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(errorLine(missing), /sample grid of 'ga', '.*grid-ga\.png', is missing; rerun the diffusion benchmark/);
    writeFileSync(join(dir, 'grid-ga.png'), 'not a png');
    const damaged = await runCli(['report', '.', '--html', 'out.html'], dir);
    assert.equal(damaged.code, 1, damaged.stderr);
    assert.match(errorLine(damaged), /grid-ga\.png', is not a PNG file; rerun the diffusion benchmark/);
    assert.ok(!existsSync(join(dir, 'out.html')));
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ args: {}, reports: {} }));
    const other = await runCli(['report', '.', '--html', 'out.html'], dir);
    assert.equal(other.code, 2, other.stderr);
    assert.match(errorLine(other), /is not a Lethe results file/);
  }),
);

test('names are escaped and a row without a grid says so', () => {
  const doc = currentDoc();
  doc.classNames[0] = 'T-shirt <top> & co';
  doc.rows[0]!.grid = null;
  const html = renderDiffusionHtml(doc, new Map());
  assert.ok(html.includes('<th>0 T-shirt &lt;top&gt; &amp; co</th>'));
  assert.match(html, /<strong>original<\/strong>: no sample grid recorded/);
});

test('the forgotten-class table is there when the counts are recorded, and left out for an older record', () => {
  const doc = currentDoc();
  const html = renderDiffusionHtml(doc, new Map());
  assert.ok(html.includes("<h2>The forgotten class's samples, classified as</h2>"));
  assert.ok(html.includes('The 50 samples of the forgotten class (1 Trouser), classified as:'));
  assert.match(html, /id="forget-predictions-table"/);
  for (const r of doc.rows) r.forgetPredictions = null;
  const older = renderDiffusionHtml(doc, new Map());
  assert.doesNotMatch(older, /forget-predictions-table|classified as:/);
});
