// The run store (<cache>/runs/<method>-<hash>.json) that bench and sweep share: a stored run is reused only when it
// was made with the same models and holds what the caller needs; anything else, a hand-edited file included, is run
// again instead of reusing stale or missing numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { madeWith, readRunRecord, readStoredRun } from '../../src/cli/run-store.js';
import { recipeForMethod } from '../../src/cli/recipes.js';
import type { ModelDigests, RunRecord } from '../../src/cli/results.js';
import { TINY, runCli } from './helpers.js';
import { tempDir } from '../io/fixtures.js'; // (removed when the tests end)

const MODELS: ModelDigests = { original: '0123456789abcdef', retrain: 'fedcba9876543210' };
const ALL_VIEWS = { confidence: 61.5, correctness: 50.25, entropy: 70, mEntropy: 55.5, prob: 64 };
/** A record as bench writes it with --all-mia (every MIA view scored). */
const RECORD: RunRecord = {
  method: 'ga',
  seed: 1,
  UA: 10,
  RA: 90,
  TA: 85,
  MIA: 61.5,
  avgGap: 3.5,
  seconds: 1.25,
  timeRatio: 0.5,
  trainableShare: 1,
  perClassTest: [80, 90],
  options: { lr: 0.003 },
  blocks: {},
  miaViews: ALL_VIEWS,
  models: MODELS,
};

/** A cache directory whose run store holds `content` (an object as JSON, or text as it is) as ga-<hash>.json. */
function storeWith(content: unknown, hash = 'abc123'): string {
  const cache = tempDir();
  mkdirSync(join(cache, 'runs'));
  writeFileSync(join(cache, 'runs', `ga-${hash}.json`), typeof content === 'string' ? content : JSON.stringify(content));
  return cache;
}
const read = (cache: string, o: { allMia?: boolean; models?: ModelDigests; method?: string } = {}): RunRecord | null =>
  readStoredRun(cache, o.method ?? 'ga', 'abc123', { allMia: o.allMia ?? false, models: o.models ?? MODELS });

test('a stored run made with the same models is reused, its JSON nulls read back as NaN', () => {
  // Promise: bench and sweep reuse a run that another folder made on these very models.
  const r = read(storeWith({ ...RECORD, seconds: null, perClassTest: [80, null] }));
  assert.ok(r !== null);
  assert.equal(r.avgGap, 3.5);
  assert.ok(Number.isNaN(r.seconds));
  assert.deepEqual(r.perClassTest, [80, NaN]);
  assert.equal(read(storeWith(RECORD), { allMia: true })?.avgGap, 3.5, 'every MIA view is there');
  // one from before the digests were kept counts (its hash covers retrain's metrics)
  const { models: _, ...older } = RECORD;
  assert.equal(read(storeWith(older))?.avgGap, 3.5);
  assert.equal(madeWith({ models: undefined }, MODELS), null);
  assert.equal(read(storeWith(RECORD), { method: 'ft' }), null, 'another method\u2019s file name');
  assert.equal(read(storeWith({ ...RECORD, method: 'ft' })), null, 'a record of another method under this name');
});

test('a stored run made with other models is not reused', () => {
  // Promise: after the original or retrain is trained again (another CPU, a rebuilt cache), bench and sweep run the
  // method again instead of tabling numbers measured on other weights.
  const cache = storeWith(RECORD);
  assert.equal(madeWith(RECORD, { ...MODELS, original: 'ffffffffffffffff' }), false);
  assert.equal(read(cache, { models: { ...MODELS, original: 'ffffffffffffffff' } }), null);
  assert.equal(read(cache, { models: { ...MODELS, retrain: 'ffffffffffffffff' } }), null);
  assert.equal(read(cache, { models: { original: MODELS.retrain, retrain: MODELS.original } }), null);
  assert.ok(read(cache) !== null, 'the same record with these models is reused');
});

test('when every MIA view is wanted, a run scored on the confidence view alone is not reused', () => {
  // Promise: `bench --all-mia` does not table a sweep's run, whose other MIA views were never measured (stored as
  // null), nor a record without views; without --all-mia both are reused.
  const sweepViews = { confidence: 61.5, correctness: null, entropy: null, mEntropy: null, prob: null };
  for (const miaViews of [sweepViews, undefined, {}, { confidence: 61.5 }, { ...ALL_VIEWS, prob: null }]) {
    const cache = storeWith({ ...RECORD, miaViews });
    assert.equal(read(cache, { allMia: true }), null, JSON.stringify(miaViews));
    assert.equal(read(cache, { allMia: false })?.avgGap, 3.5, JSON.stringify(miaViews));
  }
});

test('a hand-edited record that is not a run record reads as absent, without an error', () => {
  // Promise: whatever was typed into a stored record (broken JSON, an empty file, a bare value), bench and sweep
  // make the run again rather than stop with an error or reuse it.
  for (const content of ['{"method": "ga", "UA":', '', 'not json', '"ga"', '42', 'true', 'null', '[]', '{}', '[{"method": "ga"}]']) {
    const cache = storeWith(content);
    for (const allMia of [false, true]) assert.equal(read(cache, { allMia }), null, content);
  }
  // what bench reads its own run files with, too
  for (const content of ['{"method": "ga", "UA":', '', '"ga"', '42', 'true', 'null']) {
    assert.equal(readRunRecord(join(storeWith(content), 'runs', 'ga-abc123.json')), null, content);
  }
});

test('sweep and bench run a trial again when its stored record is stale, damaged or lacks the MIA views', async () => {
  // Promise, end to end: the run store hands a trial to another folder only when it was made with the same models
  // (and, for bench --all-mia, with every MIA view); a record edited or damaged by hand is made again.
  const dir = tempDir();
  const env = { LETHE_NUM_THREADS: '1' };
  const sweep = (out: string) => runCli(['sweep', '--method', 'ga', '--model', 'mlp', ...TINY, '--epochs', '1', '--values', '0.003', '--no-write', '--out', out], dir, env);
  const first = await sweep('a/ga');
  assert.equal(first.code, 0, first.stderr);
  const runs = join(dir, 'cache', 'runs');
  const [file] = readdirSync(runs);
  assert.match(file!, /^ga-[0-9a-f]{16}\.json$/);
  const hash = file!.slice(3, -5);
  const stored = (): RunRecord => JSON.parse(readFileSync(join(runs, file!), 'utf8')) as RunRecord;
  const digests = stored().models!;
  assert.equal(stored().miaViews!['entropy'], null, 'a sweep scores the confidence view alone');
  const ranAgain = /ga lr 0\.003: running ga/;
  const reused = new RegExp(`done before, skipping \\(the run store \\(${hash}\\)\\)`);

  // bench --all-mia with a recipe at that lr: the sweep's record lacks four views, so ga is run again
  mkdirSync(join(dir, 'recipes'));
  writeFileSync(join(dir, 'recipes', 'ga.json'), JSON.stringify({ method: 'ga', tuned: true, options: { ...recipeForMethod('ga', 'random:0.1').options, lr: 0.003 } }));
  const bench = await runCli(['bench', '--model', 'mlp', ...TINY, '--epochs', '1', '--methods', 'ga', '--seeds', '1', '--all-mia', '--out', 'bench', '--json'], dir, { ...env, LETHE_RECIPES: join(dir, 'recipes') });
  assert.equal(bench.code, 0, bench.stderr);
  assert.doesNotMatch(bench.stderr, /the same run is in the run store/);
  assert.match(bench.stderr, /ga \(seed 1\): tuned recipe/);
  const ga = (JSON.parse(bench.stdout) as { runs: RunRecord[] }).runs.find((r) => r.method === 'ga')!;
  for (const [view, v] of Object.entries(ga.miaViews!)) assert.equal(typeof v, 'number', `bench --all-mia's ga run lacks the ${view} view`);

  // a record made with another original: run again, and the store gets this run, with these models' digests
  writeFileSync(join(runs, file!), JSON.stringify({ ...stored(), models: { ...digests, original: 'ffffffffffffffff' } }));
  const stale = await sweep('b/ga');
  assert.equal(stale.code, 0, stale.stderr);
  assert.doesNotMatch(stale.stderr, /done before/);
  assert.match(stale.stderr, ranAgain);
  assert.deepEqual(stored().models, digests);

  // a record damaged by hand (a bare JSON value): run again, no error
  writeFileSync(join(runs, file!), '"edited by hand"\n');
  const damaged = await sweep('c/ga');
  assert.equal(damaged.code, 0, damaged.stderr);
  assert.doesNotMatch(damaged.stderr, /done before/);
  assert.match(damaged.stderr, ranAgain);

  // and the record just stored is reused by a fourth folder: the runs above were made again for their records' sake
  const again = await sweep('d/ga');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, reused);
  assert.doesNotMatch(again.stderr, ranAgain);
});
