// `lethe demo` (the README's main command, `npm run demo`) end to end through the real CLI, at a scale that runs in
// seconds: 1,200 training and 500 test images, 8 epochs, one libtorch thread (results are bit-identical per thread
// count). Two runs with the same flags share one model cache: the first trains, the second reuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorLine, runCli, tempDir, type CliResult } from './helpers.js';
import type { ResultRow } from '../../src/cli/results.js';

const dir = tempDir('lethe-demo-');
const FLAGS = ['--train-size', '1200', '--test-size', '500', '--epochs', '8', '--out', 'results'];
const ONE_THREAD = { LETHE_NUM_THREADS: '1' };
const ROWS = ['original', 'retrain', 'salun', 'ft', 'ga'];
const METRICS = ['UA', 'RA', 'TA', 'MIA'] as const;
type Metric = (typeof METRICS)[number];

interface Doc {
  format: string;
  protocol: string[];
  config: Record<string, unknown>;
  original: { perSeed: { train: number; test: number; memorisationGap: number }[] };
  rows: ResultRow[];
  runs: ({ method: string; seed: number; avgGap: number } & Record<Metric, number>)[];
  definitions: Record<string, string>;
  seconds?: number;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
/** The cache's model directories (original-mlp-<hash>, retrain-mlp-<hash>), by kind. */
function cachedModels(): Record<string, string> {
  const models = join(dir, 'cache', 'models');
  const names = readdirSync(models).sort();
  assert.deepEqual(names.map((n) => n.replace(/-[0-9a-f]{16}$/, '')), ['original-mlp', 'retrain-mlp'], `cache holds ${names.join(', ')}`);
  return { original: join(models, names[0]!), retrain: join(models, names[1]!) };
}
const metricsOf = (r: ResultRow): number[] => [...METRICS.map((k) => r[k].mean), r.avgGap.mean];

let first: CliResult;
let firstDoc: Doc;
let models: Record<string, { sha: string; mtimeMs: number }>;

test('lethe demo: original, retrain, SalUn, FT and GA, each Avg.Gap the mean |metric − retrain metric|', async () => {
  // Promise: the demo trains an original MLP on the seeded subset, retrains it without a random 10% forget set,
  // unlearns with SalUn, FT and GA and tables all five rows against retrain (README, opening section).
  first = await runCli(['demo', ...FLAGS], dir, ONE_THREAD);
  assert.equal(first.code, 0, first.stderr);
  firstDoc = readJson<Doc>(join(dir, 'results', 'results.json'));
  assert.equal(firstDoc.format, 'lethe-results');
  assert.deepEqual(firstDoc.rows.map((r) => r.method), ROWS);
  const retrain = firstDoc.rows[1]!;
  for (const r of firstDoc.rows) {
    assert.equal(r.runs, 1, r.method);
    for (const k of [...METRICS, 'avgGap'] as const) {
      const x = r[k].mean;
      assert.ok(Number.isFinite(x) && x >= 0 && x <= 100, `${r.method} ${k} = ${x} is not a percentage`);
    }
    // Avg.Gap recomputed here from the four metrics: mean of |metric − retrain's|
    const gap = METRICS.reduce((s, k) => s + Math.abs(r[k].mean - retrain[k].mean), 0) / METRICS.length;
    assert.ok(Math.abs(r.avgGap.mean - gap) < 1e-9, `${r.method}: Avg.Gap ${r.avgGap.mean}, recomputed ${gap}`);
  }
  assert.equal(retrain.avgGap.mean, 0);
  // Not a vacuous table: the unlearning methods changed the original model (FT retrains on D_r for 10 epochs).
  assert.notDeepEqual(metricsOf(firstDoc.rows[3]!), metricsOf(firstDoc.rows[0]!), 'ft left the original unchanged');

  // the forget set is a random 10% of the training split: 1,200 − 10% validation = 1,080, of which 108 forgotten
  assert.ok(firstDoc.protocol.some((l) => /forget: random 10% = 108 of 1080 training samples \(seed 1\)/.test(l)), firstDoc.protocol.join('\n'));
  assert.ok(firstDoc.protocol.some((l) => /^model mlp; original and retrain: 8 epochs sgd lr 0\.05/.test(l)), firstDoc.protocol.join('\n'));
  const acc = firstDoc.original.perSeed[0]!;
  assert.ok(Math.abs(acc.memorisationGap - (acc.train - acc.test)) < 1e-9);
  // the original trained on D_f ∪ D_r, the retrain on D_r only
  const dirs = cachedModels();
  const orig = readJson<{ kind: string; sizes: { train: number } }>(join(dirs['original']!, 'manifest.json'));
  const re = readJson<{ kind: string; sizes: { train: number }; forget: string }>(join(dirs['retrain']!, 'manifest.json'));
  assert.deepEqual([orig.kind, orig.sizes.train], ['original', 1080]);
  assert.deepEqual([re.kind, re.sizes.train], ['retrain', 972]);
  assert.match(first.stderr, /original \(seed 1\): mlp on 1080 images \(D_f ∪ D_r\), 8 epochs/);
  assert.match(first.stderr, /retrain \(seed 1\): mlp on 972 images \(D_r, forget random:0\.1\), 8 epochs/);
  assert.doesNotMatch(first.stderr, /reusing the finished model/, 'a fresh cache has nothing to reuse');
  models = Object.fromEntries(Object.entries(dirs).map(([k, d]) => [k, { sha: sha256(join(d, 'model.safetensors')), mtimeMs: statSync(join(d, 'model.safetensors')).mtimeMs }]));
});

test('lethe demo: the text output is the table of results.json, with every definition', () => {
  // Promise: "prints the paper-style comparison with every metric's definition" (README); the printed numbers are
  // the ones written to results.json.
  const out = first.stdout;
  for (const r of firstDoc.rows) {
    const line = out.split('\n').find((l) => new RegExp(`^${r.method}\\s+\\d`).test(l));
    assert.ok(line !== undefined, `no table row for ${r.method}:\n${out}`);
    const printed = [...line.matchAll(/(-?\d+\.\d+) ± (\d+\.\d+)/g)].slice(0, 5).map((m) => Number(m[1]));
    assert.deepEqual(printed, metricsOf(r).map((x) => Number(x.toFixed(2))), `${r.method}: ${line}`);
  }
  assert.match(out, /^method\s+UA\s+RA\s+TA\s+MIA\s+Avg\.Gap\s+time \(s\)\s+× retrain\s+trainable$/m);
  assert.match(out, /^definitions:$/m);
  for (const key of ['UA', 'RA', 'TA', 'MIA', 'AvgGap', 'time', 'timeRatio', 'trainableShare', 'memorisationGap']) {
    const def = firstDoc.definitions[key];
    assert.ok(typeof def === 'string' && def.length > 20, `definition of ${key}`);
    assert.ok(out.includes(`  ${key.padEnd(16)} ${def}\n`), `the text output lacks the definition of ${key}`);
  }
  assert.match(firstDoc.definitions['UA']!, /100 - top-1 accuracy on the forget set/);
  assert.match(firstDoc.definitions['AvgGap']!, /mean of \|metric - retrain metric\| over UA, RA, TA and MIA/);
  assert.match(out, /^original model: train accuracy \d+\.\d+ ± 0\.00%, test accuracy \d+\.\d+ ± 0\.00%, memorisation gap -?\d+\.\d+ ± 0\.00 points/m);
  assert.ok(out.includes(`results → ${join(dir, 'results')}`), 'names the results directory');
});

test('lethe demo: the results directory holds config.json, results.json/.csv/.md and one run record per row', () => {
  // Promise (src/cli/bench.ts runBench, demo.ts): --out gets the configuration, the three tables and runs/<method>-seed1-*.json.
  const res = join(dir, 'results');
  assert.deepEqual(readdirSync(res).sort(), ['config.json', 'results.csv', 'results.json', 'results.md', 'runs']);
  const config = readJson<Record<string, unknown> & { data: { data: string; trainSize: number; testSize: number } }>(join(res, 'config.json'));
  assert.deepEqual([config['model'], config['forget'], config['methods'], config['seeds']], ['mlp', 'random:0.1', ['salun', 'ft', 'ga'], [1]]);
  assert.deepEqual([config.data.data, config.data.trainSize, config.data.testSize], ['fmnist', 1200, 500]);
  assert.deepEqual(firstDoc.config, config);
  const runs = readdirSync(join(res, 'runs')).sort();
  assert.equal(runs.length, 5, runs.join(', '));
  for (const m of ROWS) {
    const file = runs.find((f) => f.startsWith(`${m}-seed1-`));
    assert.ok(file !== undefined, `no run record for ${m}: ${runs.join(', ')}`);
    const rec = readJson<Record<Metric | 'avgGap', number> & { method: string; seed: number }>(join(res, 'runs', file));
    const row = firstDoc.rows.find((r) => r.method === m)!;
    assert.deepEqual([rec.method, rec.seed, ...METRICS.map((k) => rec[k]), rec.avgGap], [m, 1, ...metricsOf(row)]);
  }
  // results.csv: a header and the five rows, their means as in results.json
  const csv = readFileSync(join(res, 'results.csv'), 'utf8').trim().split('\n');
  assert.match(csv[0]!, /^method,runs,UA_mean,UA_std,RA_mean,RA_std,TA_mean,TA_std,MIA_mean,MIA_std,avgGap_mean,avgGap_std,/);
  assert.deepEqual(csv.slice(1).map((l) => l.split(',')[0]), ROWS);
  for (const [i, r] of firstDoc.rows.entries()) {
    const cells = csv[i + 1]!.split(',').map(Number);
    assert.deepEqual([cells[2], cells[4], cells[6], cells[8], cells[10]], metricsOf(r), `csv row ${r.method}`);
  }
  // results.md: the Markdown table, one line per row
  const md = readFileSync(join(res, 'results.md'), 'utf8');
  assert.match(md, /^\| method \| UA \| RA \| TA \| MIA \| Avg\.Gap \|/);
  for (const r of firstDoc.rows) assert.match(md, new RegExp(`^\\| ${r.method} \\| ${r.UA.mean.toFixed(2)} ± 0\\.00 \\|`, 'm'));
});

test('lethe demo: a second run reuses the cached original and retrain and gives the same numbers', async () => {
  // Promise: "a second run reuses the cached original and retrained models" (README); same seed and thread count,
  // same result (README, Determinism). --json prints the document results.json holds.
  const second = await runCli(['demo', ...FLAGS, '--json'], dir, ONE_THREAD);
  assert.equal(second.code, 0, second.stderr);
  const dirs = cachedModels();
  assert.ok(second.stderr.includes(`original (seed 1): reusing the finished model in ${dirs['original']}`), second.stderr);
  assert.ok(second.stderr.includes(`retrain (seed 1): reusing the finished model in ${dirs['retrain']}`), second.stderr);
  assert.doesNotMatch(second.stderr, /epoch 1\/8/, 'nothing was trained again');
  for (const [k, d] of Object.entries(dirs)) {
    const f = join(d, 'model.safetensors');
    assert.deepEqual({ sha: sha256(f), mtimeMs: statSync(f).mtimeMs }, models[k], `${k}'s weights were rewritten`);
  }
  const doc = JSON.parse(second.stdout) as Doc;
  assert.ok(typeof doc.seconds === 'number' && doc.seconds > 0);
  assert.deepEqual(doc.rows.map((r) => r.method), ROWS);
  const { seconds: _s, created: _c, ...printed } = doc as Doc & { created: string };
  const { created: _c2, ...written } = readJson<Doc & { created: string }>(join(dir, 'results', 'results.json'));
  assert.deepEqual(printed, written, '--json prints what results.json holds');
  // original and retrain are the same models evaluated on the same sets: identical numbers; the unlearning runs
  // start again from them with the same seeds, so theirs are identical too
  for (const [i, r] of doc.rows.entries()) assert.deepEqual(metricsOf(r), metricsOf(firstDoc.rows[i]!), `${r.method} changed between runs`);
  assert.ok(existsSync(join(dir, 'results', 'runs')));
  assert.equal(readdirSync(join(dir, 'results', 'runs')).length, 5, 'the rerun replaced the run records instead of adding to them');
});

test('lethe demo --model with an unknown name: one-line usage error, exit 2, nothing written', async () => {
  // Promise: bad usage exits 2 with one clear line (lethe --help, exit codes), before any work.
  const d = tempDir('lethe-demo-model-');
  const r = await runCli(['demo', '--model', 'vgg16', '--train-size', '200', '--epochs', '1'], d, ONE_THREAD);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(errorLine(r), /^lethe: --model: 'vgg16' is not one of (\w+, )*mlp(, \w+)*$/);
  assert.equal(r.stdout, '');
  assert.deepEqual(readdirSync(d), [], 'no cache or results were made');
});
