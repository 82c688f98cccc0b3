// settingsDiff names each setting that differs (nested by dotted path), skips what the earlier record lacks and what
// the caller ignores; differencesClause wraps it for a message, or says nothing when it cannot name anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { differencesClause, settingsDiff } from '../../src/util/settings-diff.js';

test('differences are named by path, with both values', () => {
  const before = { seed: 1, recipe: { lr: 0.1, epochs: 20, milestones: [10, 15] }, data: { name: 'fmnist' }, forget: null };
  const now = { seed: 2, recipe: { lr: 0.05, epochs: 20, milestones: [10, 15] }, data: { name: 'fmnist' }, forget: 'random:0.1', extra: true };
  assert.deepEqual(settingsDiff(before, now), ['seed 1 there, 2 now', 'recipe.lr 0.1 there, 0.05 now', 'forget null there, "random:0.1" now']);
  // a key the earlier record lacks (extra) is not compared; ignored paths are skipped, at any depth
  assert.deepEqual(settingsDiff(before, now, ['seed', 'recipe.lr']), ['forget null there, "random:0.1" now']);
  // arrays compare whole; a record against a scalar is a difference
  assert.deepEqual(settingsDiff({ m: [1, 2], r: { a: 1 } }, { m: [1, 3], r: 5 }), ['m [1,2] there, [1,3] now', 'r {"a":1} there, 5 now']);
  assert.deepEqual(settingsDiff(now, now), []);
});

test('the clause for a message: empty when nothing can be named', () => {
  assert.equal(differencesClause({ lr: 1 }, { lr: 2 }), ' (lr 1 there, 2 now)');
  assert.equal(differencesClause(undefined, { lr: 2 }), '');
  assert.equal(differencesClause('garbage', { lr: 2 }), '');
  assert.equal(differencesClause({ lr: 2 }, { lr: 2 }), '');
});
