// jsonFormat: what tells a Lethe file from a user's before an output replaces it (results.json, manifest.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonFormat, writeJsonAtomic } from '../../src/io/artifacts.js';

test('jsonFormat reads the declared format, and null for anything else', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-format-'));
  const file = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  writeJsonAtomic(join(dir, 'results.json'), { format: 'lethe-results', formatVersion: 1 });
  assert.equal(jsonFormat(join(dir, 'results.json')), 'lethe-results');
  assert.equal(jsonFormat(join(dir, 'missing.json')), null);
  assert.equal(jsonFormat(file('torn.json', '{"format": "lethe-res')), null);
  assert.equal(jsonFormat(file('null.json', 'null')), null);
  assert.equal(jsonFormat(file('array.json', '["lethe-results"]')), null);
  assert.equal(jsonFormat(file('number.json', '{"format": 1}')), null);
  assert.equal(jsonFormat(file('none.json', '{"other": "lethe-results"}')), null);
});
