// The per-seed view of a results document: each method's Avg.Gap on each seed and its mean rank over the seeds,
// checked on hand-computed ranks (ties share their mean rank; a diverged or missing run ranks last).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderHtml } from '../../src/cli/report/html.js';
import { resultsDocProblem } from '../../src/cli/report/read.js';
import { ROOT, errorLine, runCli, tempDir } from './helpers.js';
import { aggregate, resultsMarkdown, seedGaps, seedGapTable, type ResultsDoc, type RunRecord } from '../../src/cli/results.js';

const run = (method: string, seed: number, avgGap: number): RunRecord => ({ method, seed, UA: 0, RA: 0, TA: 0, MIA: 0, avgGap, seconds: 1, timeRatio: 1, trainableShare: 1, perClassTest: [] });

//          seed 1  seed 2  seed 3
// a        1       2       NaN (diverged)
// b        2       2       1
// c        3       1       (no run)
const runs = [
  run('original', 1, 7), run('retrain', 1, 0), run('retrain', 2, 0), run('retrain', 3, 0),
  run('a', 1, 1), run('b', 1, 2), run('c', 1, 3),
  run('a', 2, 2), run('b', 2, 2), run('c', 2, 1),
  run('a', 3, NaN), run('b', 3, 1),
];
const rows = aggregate(runs, ['original', 'retrain', 'a', 'b', 'c']);

test('seedGaps: Avg.Gap per seed and the mean rank, ties sharing their mean rank, missing and diverged runs last', () => {
  const g = seedGaps({ rows, runs });
  assert.deepEqual(g.seeds, [1, 2, 3]);
  assert.deepEqual(g.rows.map((r) => r.method), ['a', 'b', 'c'], 'original and retrain are not ranked');
  const rank = Object.fromEntries(g.rows.map((r) => [r.method, r.meanRank]));
  // a: 1, 2.5 (tie with b), 2.5 (NaN ties with c's missing run for places 2-3)
  assert.equal(rank['a'], (1 + 2.5 + 2.5) / 3);
  assert.equal(rank['b'], (2 + 2.5 + 1) / 3);
  assert.equal(rank['c'], (3 + 1 + 2.5) / 3);
  assert.ok(Number.isNaN(g.rows[2]!.gaps[2]!), 'c has no run on seed 3');
});

test('the per-seed table lists methods best rank first, and results.md carries it under the main table', () => {
  const t = seedGapTable({ rows, runs })!;
  assert.deepEqual(t.header, ['method', 'seed 1', 'seed 2', 'seed 3', 'mean rank']);
  assert.deepEqual(t.rows, [
    ['b', '2.00', '2.00', '1.00', '1.8'],
    ['a', '1.00', '2.00', '-', '2.0'],
    ['c', '3.00', '1.00', '-', '2.2'],
  ]);
  const doc = { rows, runs, protocol: ['p'], original: { perSeed: [], train: { mean: 1, std: 0 }, test: { mean: 1, std: 0 }, memorisationGap: { mean: 0, std: 0 } } } as unknown as ResultsDoc;
  const md = resultsMarkdown(doc);
  assert.match(md, /\| method \| seed 1 \| seed 2 \| seed 3 \| mean rank \|\n\| --- \| ---: \| ---: \| ---: \| ---: \|\n\| b \| 2\.00 \| 2\.00 \| 1\.00 \| 1\.8 \|/);
  // one seed: nothing to rank across, no per-seed table
  const one = runs.filter((r) => r.seed === 1);
  assert.equal(seedGapTable({ runs: one, rows: aggregate(one, ['a', 'b', 'c']) }), null);
  assert.doesNotMatch(resultsMarkdown({ ...doc, runs: one, rows: aggregate(one, ['a', 'b', 'c']) }), /mean rank/);
  // the HTML report carries the same table
  const html = renderHtml({ ...doc, definitions: {}, config: {}, created: 'now' }, []);
  assert.match(html, /<table class="results" id="seed-gap-table">/);
  assert.match(html, /<td>b<\/td><td>2\.00<\/td><td>2\.00<\/td><td>1\.00<\/td><td>1\.8<\/td>/);
});

test('a damaged results.json names the field that is wrong instead of failing inside the report', async () => {
  const committed = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'protocol-full', 'random-seeds123', 'results.json'), 'utf8')) as Record<string, any>;
  assert.equal(resultsDocProblem(committed), null);
  const damaged = (edit: (d: Record<string, any>) => void): string | null => {
    const d = structuredClone(committed);
    edit(d);
    return resultsDocProblem(d);
  };
  assert.equal(damaged((d) => (d.rows = null)), 'rows is not a list');
  assert.equal(damaged((d) => (d.rows[2].UA = 'abc')), 'rows[2].UA is not a {mean, std} pair');
  assert.equal(damaged((d) => (d.rows[0].method = 5)), 'rows[0] has no method name');
  assert.equal(damaged((d) => (d.runs = null)), 'runs is not a list');
  assert.equal(damaged((d) => (d.original = null)), 'original is not the original model\u2019s summary');
  assert.equal(damaged((d) => (d.definitions = null)), 'definitions is not an object');
  // through the CLI: a failure (exit 1) with that message
  const dir = tempDir();
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ ...committed, runs: null }));
  const r = await runCli(['report', dir, '--html', join(dir, 'r.html')], dir);
  assert.equal(r.code, 1);
  assert.match(errorLine(r), /report: '.*results\.json' is damaged: runs is not a list; rerun the bench/);
});
