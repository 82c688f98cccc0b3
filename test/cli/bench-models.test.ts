// Records made with other models are not mixed with runs on these: the original and retrain checkpoints share a
// cache name with any model of the same configuration (trained on another CPU, or again), so every bench record
// carries the weights' digests, and an older record without them is checked by its numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TINY, runCli, tempDir } from './helpers.js';
import { findTrial } from '../../src/cli/commands/sweep.js';
import { avgGap, type HeadlineMetrics } from '../../src/eval/gap.js';
import { runHash, type RunIdentity } from '../../src/cli/run-store.js';
import { configHash } from '../../src/cli/cache.js';

const dir = tempDir('lethe-bench-models-');
const ARGS = ['bench', '--model', 'mlp', ...TINY, '--epochs', '1', '--methods', 'ga', '--seeds', '1', '--out', 'bench', '--json'];
const WITH_BS = ARGS.map((a) => (a === 'ga' ? 'ga,bs' : a));
const runs = join(dir, 'bench', 'runs');

type Rec = Record<string, any>;
const recordFile = (prefix: string): string => join(runs, readdirSync(runs).find((f) => f.startsWith(`${prefix}-`) && f.endsWith('.json'))!);
const read = (prefix: string): Rec => JSON.parse(readFileSync(recordFile(prefix), 'utf8')) as Rec;
const edit = (prefix: string, f: (r: Rec) => void): void => {
  const r = read(prefix);
  f(r);
  writeFileSync(recordFile(prefix), JSON.stringify(r));
};
const rows = (stdout: string): Rec[] => (JSON.parse(stdout) as Rec).rows as Rec[];
/** original's, retrain's and ga's numbers (a table with bs added keeps them; run times differ from run to run) */
const sameRows = (stdout: string): unknown[] =>
  rows(stdout)
    .filter((r) => r['method'] !== 'bs')
    .map((r) => [r['method'], ...['UA', 'RA', 'TA', 'MIA', 'avgGap'].map((k) => (r[k] as { mean: number }).mean)]);
const stale = (): string[] => readdirSync(join(runs, 'stale')).sort();

test('bench records carry the models\u2019 digests; records made with other models are set aside and made again', async () => {
  const first = await runCli(ARGS, dir);
  assert.equal(first.code, 0, first.stderr);
  const digest = (kind: string): string => {
    const models = readdirSync(join(dir, 'cache', 'models')).find((d) => d.startsWith(`${kind}-`))!;
    return (JSON.parse(readFileSync(join(dir, 'cache', 'models', models, 'manifest.json'), 'utf8')) as Rec).weights.sha256.slice(0, 16);
  };
  const digests = { original: digest('original'), retrain: digest('retrain') };
  for (const p of ['original', 'retrain', 'ga']) assert.deepEqual(read(p).models, digests, p);

  // another retrain model (as if trained on another CPU): retrain's record and the run gapped against it go aside
  edit('retrain', (r) => (r.models.retrain = 'ffffffffffffffff'));
  edit('ga', (r) => (r.models.retrain = 'ffffffffffffffff'));
  const other = await runCli(ARGS, dir);
  assert.equal(other.code, 0, other.stderr);
  assert.match(other.stderr, /retrain \(seed 1\): the record on file was made with other models \(original [0-9a-f]{16}, retrain ffffffffffffffff; these: original [0-9a-f]{16}, retrain [0-9a-f]{16}\); moved to .*stale/);
  assert.match(other.stderr, /ga \(seed 1\): the record on file was made with other models/);
  assert.match(other.stderr, /ga \(seed 1\): the same run is in the run store/, 'the run made with these models');
  assert.doesNotMatch(other.stderr, /original \(seed 1\): the record/, 'the original\u2019s record was made with these models');
  assert.equal(stale().length, 2, 'nothing is lost');
  assert.equal((JSON.parse(readFileSync(join(runs, 'stale', stale().find((f) => f.startsWith('ga-'))!), 'utf8')) as Rec).models.retrain, 'ffffffffffffffff');
  assert.deepEqual(read('ga').models, digests);
  assert.deepEqual(sameRows(other.stdout), sameRows(first.stdout), 'the same models give the same table');

  // records from before the digests were kept, in a seed that is not finished (a method added): the models are
  // loaded, and each older record is checked by its numbers, kept, and stamped
  for (const p of ['original', 'retrain', 'ga']) edit(p, (r) => delete r.models);
  const older = await runCli(WITH_BS, dir);
  assert.equal(older.code, 0, older.stderr);
  assert.match(older.stderr, /ga \(seed 1\): done before, skipping/);
  assert.doesNotMatch(older.stderr, /made with other models|(original|retrain) \(seed 1\): evaluating/);
  for (const p of ['original', 'retrain', 'ga']) assert.deepEqual(read(p).models, digests, p);
  assert.deepEqual(sameRows(older.stdout), sameRows(first.stdout));

  // an older record whose numbers are not these models' (as if made with another retrain model: its TA differs,
  // and the others were scored against it): all three go aside and are made again
  for (const p of ['original', 'retrain', 'ga']) edit(p, (r) => delete r.models);
  edit('retrain', (r) => (r.TA += 1));
  const otherReference = read('retrain') as HeadlineMetrics;
  for (const p of ['original', 'ga']) edit(p, (r) => (r.avgGap = avgGap(r as HeadlineMetrics, otherReference)));
  rmSync(recordFile('bs'));
  const changed = await runCli(WITH_BS, dir);
  assert.equal(changed.code, 0, changed.stderr);
  assert.match(changed.stderr, /retrain \(seed 1\): the record on file was made with other models \(its numbers differ from these models'/);
  assert.match(changed.stderr, /original \(seed 1\): the record on file was made with other models/);
  assert.match(changed.stderr, /ga \(seed 1\): the record on file was made with other models/);
  assert.equal(stale().length, 5);
  assert.deepEqual(sameRows(changed.stdout), sameRows(first.stdout));

  // without the models, a folder whose records disagree is not tabled from the files: the models are made again
  rmSync(join(dir, 'cache'), { recursive: true, force: true });
  edit('ga', (r) => (r.models.original = '0000000000000000'));
  const mixed = await runCli(WITH_BS, dir);
  assert.equal(mixed.code, 0, mixed.stderr);
  assert.match(mixed.stderr, /seed 1: the runs on file were made with different models; loading the models/);
  assert.match(mixed.stderr, /ga \(seed 1\): the record on file was made with other models \(original 0000000000000000/);
  assert.match(mixed.stderr, /bs \(seed 1\): done before, skipping/);
  assert.equal(stale().length, 6);
  assert.deepEqual(sameRows(mixed.stdout), sameRows(first.stdout), 'retrained on this machine: the same models');
  // and a consistent folder is tabled from its files alone, as before
  rmSync(join(dir, 'cache'), { recursive: true, force: true });
  const files = await runCli(WITH_BS, dir);
  assert.equal(files.code, 0, files.stderr);
  assert.match(files.stderr, /seed 1: every run is on file/);
  assert.deepEqual(rows(files.stdout), rows(mixed.stdout));
});

test('bench keeps retrain\u2019s numbers where sweep looks for them: a sweep on the same models does not evaluate retrain again', async () => {
  const d = tempDir('lethe-bench-reference-');
  const common = ['--model', 'mlp', ...TINY, '--epochs', '1'];
  const bench = await runCli(['bench', ...common, '--methods', 'ga', '--seeds', '1', '--out', 'bench'], d);
  assert.equal(bench.code, 0, bench.stderr);
  const refs = join(d, 'cache', 'references');
  const keptNow = (): Rec[] => readdirSync(refs).map((f) => JSON.parse(readFileSync(join(refs, f), 'utf8')) as Rec);
  const benchRuns = join(d, 'bench', 'runs');
  const retrain = JSON.parse(readFileSync(join(benchRuns, readdirSync(benchRuns).find((f) => f.startsWith('retrain-'))!), 'utf8')) as Rec;
  const expected = { retrain: retrain.models.retrain, metrics: { UA: retrain.UA, RA: retrain.RA, TA: retrain.TA, MIA: retrain.MIA } };
  assert.deepEqual(keptNow(), [expected], 'one file: the retrain model\u2019s digest and its four numbers');
  const sweep = await runCli(['sweep', '--method', 'ga', ...common, '--values', '0.001', '--no-write'], d);
  assert.equal(sweep.code, 0, sweep.stderr);
  assert.doesNotMatch(sweep.stderr, /retrain \(seed 1\): evaluating/);
  // tabled from its files alone (the cache gone), bench keeps the record's numbers when none are kept...
  rmSync(join(d, 'cache'), { recursive: true, force: true });
  const files = await runCli(['bench', ...common, '--methods', 'ga', '--seeds', '1', '--out', 'bench'], d);
  assert.equal(files.code, 0, files.stderr);
  assert.match(files.stderr, /seed 1: every run is on file/);
  assert.deepEqual(keptNow(), [expected]);
  // ...but does not replace numbers kept for another retrain model (the cache's own, say)
  const [name] = readdirSync(refs);
  writeFileSync(join(refs, name!), JSON.stringify({ ...expected, retrain: 'another-model' }));
  assert.equal((await runCli(['bench', ...common, '--methods', 'ga', '--seeds', '1', '--out', 'bench'], d)).code, 0);
  assert.equal(keptNow()[0]!['retrain'], 'another-model');
  rmSync(d, { recursive: true, force: true });
});

test('a sweep trial made with other models is not reused; one from before the digests were kept is', () => {
  const out = join(dir, 'sweeps', 'ga');
  mkdirSync(join(out, 'trials'), { recursive: true });
  const these = { original: 'aaaaaaaaaaaaaaaa', retrain: 'bbbbbbbbbbbbbbbb' };
  const trial = { seed: 1, UA: 1, RA: 2, TA: 3, MIA: 4, avgGap: 5, seconds: 6 };
  const file = join(out, 'trials', 'ga-lr=0.01-seed1-0123456789abcdef.json');
  writeFileSync(file, JSON.stringify({ ...trial, models: { ...these, original: 'cccccccccccccccc' } }));
  assert.equal(findTrial(out, file, '0123456789abcdef', these), null);
  writeFileSync(file, JSON.stringify({ ...trial, models: these }));
  assert.deepEqual(findTrial(out, file, '0123456789abcdef', these)?.trial, { ...trial, models: these });
  writeFileSync(file, JSON.stringify(trial));
  assert.deepEqual(findTrial(out, file, '0123456789abcdef', these)?.trial, trial);
  // a sibling sweep's trial of the same run, made with other models, is not taken either
  const sibling = join(dir, 'sweeps', 'ga-other', 'trials');
  mkdirSync(sibling, { recursive: true });
  writeFileSync(join(sibling, 'ga-epochs=5-seed1-fedcba9876543210.json'), JSON.stringify({ ...trial, models: { ...these, retrain: 'dddddddddddddddd' } }));
  assert.equal(findTrial(out, join(out, 'trials', 'ga-lr=0.02-seed1-fedcba9876543210.json'), 'fedcba9876543210', these), null);
});

test('runHash: a method whose code changed its results (revision above 1) gets new hashes, the others keep theirs', () => {
  const id = (method: string): RunIdentity =>
    ({ run: { method, forget: 'random:0.1', options: { lr: 0.01 }, blocks: {}, seed: 1 }, data: { data: 'fmnist', seed: 1 }, model: 'mlp', trainRecipe: { epochs: 1 }, original: 'original-mlp-0', reference: { UA: 1, RA: 2, TA: 3, MIA: 4 } }) as unknown as RunIdentity;
  assert.equal(runHash(id('ft')), configHash(id('ft')), 'runs kept before revisions existed still match');
  assert.equal(runHash(id('cufg')), configHash({ ...id('cufg'), revision: 2 }));
  assert.notEqual(runHash(id('cufg')), configHash(id('cufg')), 'a CUFG run of the code before the reordering is not reused');
});

test('a run that diverges is a result: sweep and bench record it without metrics and go on', async () => {
  const d = tempDir('lethe-diverge-');
  const MODEL = ['--model', 'mlp', ...TINY, '--epochs', '1'];
  const sweep = await runCli(['sweep', '--method', 'ga', ...MODEL, '--values', '0.001,1e6', '--no-write', '--out', 'sw', '--json'], d);
  assert.equal(sweep.code, 0, sweep.stderr);
  assert.match(sweep.stderr, /ga \(seed 1\): diverged, recorded without metrics \(it ranks last\): .*(loss became|outputs are not finite)/);
  const trials = (JSON.parse(sweep.stdout) as Rec).sweep.trials as Rec[];
  assert.deepEqual(trials.map((t) => t['value']), [0.001, 1e6]);
  assert.equal(trials[1]!['avgGap'], null, 'NaN in JSON');
  assert.match(trials[1]!['diverged'] as string, /^seed 1: .*(loss became|outputs are not finite)/, 'the reason is kept with the trial');
  const text = await runCli(['sweep', '--method', 'ga', ...MODEL, '--values', '0.001,1e6', '--no-write', '--out', 'sw'], d);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /\nlr 1000000 diverged \(no metrics; it ranks last\): seed 1: /);
  assert.equal((JSON.parse(sweep.stdout) as Rec).options.lr, 0.001, 'the winner is the finite trial');
  const again = await runCli(['sweep', '--method', 'ga', ...MODEL, '--values', '1e6', '--no-write', '--out', 'sw'], d);
  assert.equal(again.code, 1, 'every value diverged');
  assert.match(again.stderr, /done before, skipping/);
  assert.match(again.stderr, /every lr value diverged or failed for 'ga'/);

  // bench with a recipe past the cliff: the other method and the table are still made
  mkdirSync(join(d, 'rec'));
  writeFileSync(join(d, 'rec', 'ga.json'), JSON.stringify({ method: 'ga', tuned: true, options: { lr: 1e6 } }));
  const bench = await runCli(['bench', ...MODEL, '--methods', 'ga,bs', '--seeds', '1', '--out', 'b', '--json'], d, { LETHE_RECIPES: join(d, 'rec') });
  assert.equal(bench.code, 0, bench.stderr);
  const doc = JSON.parse(bench.stdout) as Rec;
  const ga = (doc.runs as Rec[]).find((r) => r['method'] === 'ga')!;
  assert.equal(ga['avgGap'], null);
  assert.match(ga['diverged'] as string, /loss became|outputs are not finite/);
  assert.ok(Number.isFinite(((doc.rows as Rec[]).find((r) => r['method'] === 'bs')!['avgGap'] as { mean: number }).mean));
  assert.match(readFileSync(join(d, 'b', 'results.md'), 'utf8'), /\| ga \|/);

  // --defaults: every method at its reference defaults, the recipes (here one past the cliff) not read
  const untuned = await runCli(['bench', ...MODEL, '--methods', 'ga', '--seeds', '1', '--defaults', '--out', 'b-defaults', '--json'], d, { LETHE_RECIPES: join(d, 'rec') });
  assert.equal(untuned.code, 0, untuned.stderr);
  const gaDefault = ((JSON.parse(untuned.stdout) as Rec).runs as Rec[]).find((r) => r['method'] === 'ga')!;
  assert.ok(Number.isFinite(gaDefault['avgGap']), 'ga ran at its default lr, not the recipe\u2019s 1e6');
  const recipe = (JSON.parse(readFileSync(join(d, 'b-defaults', 'config.json'), 'utf8')) as { recipes: Record<string, { options: Rec; tuned: boolean }> }).recipes['ga']!;
  assert.deepEqual([recipe.options['lr'], recipe.tuned], [1e-4, false]);
});
