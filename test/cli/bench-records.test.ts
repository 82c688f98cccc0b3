// A finished run's record goes to JSON, which has no NaN; reading it back must give NaN again, or the mean over
// seeds counts the original model's missing run time as 0 s (seen in a resumed table: "0.0 ± 0.0").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRunRecord } from '../../src/cli/run-store.js';
import { aggregate, type RunRecord } from '../../src/cli/results.js';
import { tempDir } from './helpers.js';

test('readRunRecord restores the NaNs JSON wrote as null, and the aggregate keeps them missing', () => {
  const dir = tempDir('lethe-records-');
  const original: RunRecord = { method: 'original', seed: 1, UA: 1, RA: 99, TA: 88, MIA: 5, avgGap: 7, seconds: NaN, timeRatio: NaN, trainableShare: NaN, perClassTest: [90, NaN] };
  const path = join(dir, 'original.json');
  writeFileSync(path, JSON.stringify(original));
  const back = readRunRecord(path)!;
  assert.ok(Number.isNaN(back.seconds) && Number.isNaN(back.timeRatio) && Number.isNaN(back.trainableShare));
  assert.deepEqual(back.perClassTest, [90, NaN]);
  assert.equal(back.UA, 1);
  const [row] = aggregate([back, { ...back, seed: 2, UA: 3 }], ['original']);
  assert.ok(Number.isNaN(row!.seconds.mean), 'no run time, not 0 s');
  assert.equal(row!.UA.mean, 2);
  assert.equal(readRunRecord(join(dir, 'absent.json')), null);
});
