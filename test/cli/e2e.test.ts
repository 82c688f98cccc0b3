// train → retrain → unlearn → eval → bench → report through the real CLI on a tiny Fashion-MNIST subset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TINY, runCli, tempDir } from './helpers.js';

const dir = tempDir();

test('train → unlearn → eval → bench → report', async () => {
  // original model: the manifest records the data, split seed, sizes, recipe, history and the memorisation gap
  const train = await runCli(['train', '--model', 'mlp', ...TINY, '--epochs', '2', '--out', 'orig', '--json'], dir);
  assert.equal(train.code, 0, train.stderr);
  const t = JSON.parse(train.stdout) as { reused: boolean; accuracy: { train: number; test: number; memorisationGap: number }; history: unknown[] };
  assert.equal(t.reused, false);
  assert.equal(t.history.length, 2);
  assert.ok(Math.abs(t.accuracy.memorisationGap - (t.accuracy.train - t.accuracy.test)) < 1e-9);
  const m = JSON.parse(readFileSync(join(dir, 'orig', 'manifest.json'), 'utf8')) as Record<string, any>;
  assert.equal(m.kind, 'original');
  assert.deepEqual(m.dataConfig, { data: 'fmnist', dataDir: null, trainSize: 1200, testSize: 500, seed: 1, valFraction: 0.1 });
  assert.equal(m.sizes.train, 1080); // 10% of each class held out of 1,200
  assert.equal(m.sizes.val, 120);
  assert.equal(m.recipe.epochs, 2);
  assert.equal(m.recipe.lr, 0.1);
  assert.equal(m.threads, 2, 'the libtorch thread count the run used (results are reproducible per thread count)');
  assert.ok(!existsSync(join(dir, 'orig', 'resume.json')), 'resume state is cleared when the run finishes');

  // the same command again reuses the finished model
  const again = await runCli(['train', '--model', 'mlp', ...TINY, '--epochs', '2', '--out', 'orig', '--json'], dir);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((JSON.parse(again.stdout) as { reused: boolean }).reused, true);

  // the retrain reference: D_r only (1,080 − 108 forget samples)
  const re = await runCli(['train', '--model', 'mlp', ...TINY, '--epochs', '2', '--forget', 'random:0.1', '--out', 'retrain', '--quiet'], dir);
  assert.equal(re.code, 0, re.stderr);
  const rm = JSON.parse(readFileSync(join(dir, 'retrain', 'manifest.json'), 'utf8')) as Record<string, any>;
  assert.equal(rm.kind, 'retrain');
  assert.equal(rm.sizes.train, 972);

  // unlearn with SalUn (mask block by default) and the retrain reference
  const un = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'salun', '--epochs', '1', '--mask', '0.3', '--reference', 'retrain', '--out', 'salun', '--json'], dir);
  assert.equal(un.code, 0, un.stderr);
  const u = JSON.parse(un.stdout) as Record<string, any>;
  assert.equal(u.method, 'salun');
  assert.equal(u.options.epochs, 1);
  assert.ok(Math.abs(u.blocks.mask.ratio - 0.3) < 1e-4, `mask ratio ${u.blocks.mask.ratio}`);
  assert.ok(Math.abs(u.trainableShare - 0.3) < 0.01, `trainable share ${u.trainableShare}`);
  assert.equal(u.evaluation.sizes.forget, 108);
  assert.equal(u.evaluation.sizes.test, 500);
  const e0 = u.evaluation;
  const gap = (Math.abs(e0.UA - u.reference.metrics.UA) + Math.abs(e0.RA - u.reference.metrics.RA) + Math.abs(e0.TA - u.reference.metrics.TA) + Math.abs(e0.MIA - u.reference.metrics.MIA)) / 4;
  assert.ok(Math.abs(e0.avgGap - gap) < 1e-9, 'Avg.Gap is the mean absolute difference to retrain');
  const um = JSON.parse(readFileSync(join(dir, 'salun', 'manifest.json'), 'utf8')) as Record<string, any>;
  assert.equal(um.kind, 'unlearned');
  assert.equal(um.forget, 'random:0.1');
  assert.equal(um.from.dir, join(dir, 'orig'));
  assert.equal(typeof um.seconds, 'number');

  // eval: JSON fields, the same numbers as the unlearn run, CSV
  const ev = await runCli(['eval', 'salun', '--reference', 'retrain', '--json', '--csv', 'salun.csv'], dir);
  assert.equal(ev.code, 0, ev.stderr);
  const e = JSON.parse(ev.stdout) as Record<string, any>;
  for (const k of ['UA', 'RA', 'TA', 'MIA', 'avgGap']) assert.equal(typeof e[k], 'number', k);
  assert.equal(e.UA, e0.UA);
  assert.equal(e.MIA, e0.MIA);
  assert.equal(e.perClassTest.length, 10);
  assert.deepEqual(Object.keys(e.miaViews).sort(), ['confidence', 'correctness', 'entropy', 'mEntropy', 'prob']);
  assert.match(e.definitions.UA, /forget set/);
  assert.match(readFileSync(join(dir, 'salun.csv'), 'utf8'), /^metric,value,retrain,definition\nUA,/);
  const evText = await runCli(['eval', 'salun', '--reference', 'retrain'], dir);
  assert.match(evText.stdout, /Avg\.Gap/);
  assert.match(evText.stdout, /unlearning accuracy: 100 - top-1 accuracy on the forget set/);

  // bench: original and retrain from the cache key, two methods, one seed; results.json/csv; a rerun skips runs
  const benchArgs = ['bench', '--model', 'mlp', ...TINY, '--epochs', '1', '--methods', 'ft,ga', '--seeds', '1', '--out', 'bench'];
  const b = await runCli([...benchArgs, '--json'], dir, { LETHE_TEST_FT: '1' });
  assert.equal(b.code, 0, b.stderr);
  const doc = JSON.parse(b.stdout) as Record<string, any>;
  assert.deepEqual(doc.rows.map((r: { method: string }) => r.method), ['original', 'retrain', 'ft', 'ga']);
  assert.equal(doc.rows[1].avgGap.mean, 0);
  assert.equal(doc.rows[1].timeRatio.mean, 1);
  assert.equal(doc.original.perSeed.length, 1);
  assert.ok(existsSync(join(dir, 'bench', 'results.csv')));
  const md = readFileSync(join(dir, 'bench', 'results.md'), 'utf8').split('\n');
  assert.equal(md[0], '| method | UA | RA | TA | MIA | Avg.Gap | time (s) | × retrain | trainable |');
  assert.equal(md[1], '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  assert.deepEqual(md.slice(2, 6).map((l) => l.split(' | ')[0]), ['| original', '| retrain', '| ft', '| ga']);
  assert.match(md[3]!, /^\| retrain \| [\d.]+ ± 0\.00 \|.* \| 0\.00 ± 0\.00 \|/);
  assert.match(md[7]!, /^Original model: train [\d.]+ ± [\d.]+%, test .*memorisation gap/);
  assert.equal(readdirSync(join(dir, 'bench', 'runs')).length, 4);
  // a rerun with every run on file tables them without touching the models, even when the cache is gone
  rmSync(join(dir, 'cache'), { recursive: true, force: true });
  const b2 = await runCli([...benchArgs, '--json'], dir);
  assert.equal(b2.code, 0, b2.stderr);
  assert.match(b2.stderr, /seed 1: every run is on file .*the models are not needed/);
  assert.doesNotMatch(b2.stderr, /training|reusing the finished model/);
  assert.ok(!existsSync(join(dir, 'cache', 'models')), 'nothing was trained');
  const doc2 = JSON.parse(b2.stdout) as Record<string, any>;
  assert.deepEqual(doc2.rows, doc.rows);
  assert.deepEqual(doc2.original, doc.original);
  // an original record written before it kept the accuracy: the models are made again, and the record gains it
  const originalFile = readdirSync(join(dir, 'bench', 'runs')).find((f) => f.startsWith('original-'))!;
  const rec = JSON.parse(readFileSync(join(dir, 'bench', 'runs', originalFile), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(rec['accuracy'], doc.original.perSeed[0]);
  delete rec['accuracy'];
  writeFileSync(join(dir, 'bench', 'runs', originalFile), JSON.stringify(rec));
  const b3 = await runCli(benchArgs, dir);
  assert.equal(b3.code, 0, b3.stderr);
  assert.match(b3.stderr, /ft \(seed 1\): done before, skipping/);
  assert.match(b3.stdout, /memorisation gap/);
  const rec3 = JSON.parse(readFileSync(join(dir, 'bench', 'runs', originalFile), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(rec3['accuracy'], doc.original.perSeed[0], 'the retrained original is the same model');
  // a damaged model in the cache is trained again, not a dead end (bench has no --force)
  const cached = readdirSync(join(dir, 'cache', 'models')).find((f) => f.startsWith('original-'))!;
  writeFileSync(join(dir, 'cache', 'models', cached, 'model.safetensors'), 'damaged');
  const b4 = await runCli([...benchArgs, '--fresh'], dir);
  assert.equal(b4.code, 0, b4.stderr);
  assert.match(b4.stderr, /original \(seed 1\): the cached model in .* fails its hash check \(a damaged file\); training it again/);
  // nor the table of another configuration (here, another training recipe): before any work
  const other = await runCli(benchArgs.map((a, i) => (benchArgs[i - 1] === '--epochs' ? '2' : a)), dir);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /--out: '.*bench' holds the table of another configuration \(trainRecipe differ\); choose another --out/);
  assert.ok(!existsSync(join(dir, 'cache', 'models', 'none')), 'nothing trained');
  // bench refuses a directory of other files (its tables would replace them)
  mkdirSync(join(dir, 'notes'));
  writeFileSync(join(dir, 'notes', 'mine.txt'), 'x');
  const foreign = await runCli([...benchArgs.slice(0, -1), 'notes'], dir);
  assert.equal(foreign.code, 2);
  assert.match(foreign.stderr, /--out: '.*notes' holds other files \(mine\.txt\), not a results directory/);

  // report: one self-contained page with the table and inline SVG charts, never over the results it reads
  const over = await runCli(['report', 'bench', '--html', 'bench/results.json'], dir);
  assert.equal(over.code, 2);
  assert.match(over.stderr, /--html: '.*results\.json' is the results input/);
  const rep = await runCli(['report', 'bench', '--html', 'report.html'], dir);
  assert.equal(rep.code, 0, rep.stderr);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /<table class="results" id="results-table">/);
  assert.match(html, /<td>ga<\/td>/);
  assert.equal(html.match(/<svg /g)?.length, 7);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'no scripts and no external resources');
  assert.match(html, /id="configuration"/);
});
