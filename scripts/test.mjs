// Runs the test suite: every compiled dist/test/**/*.test.js under node:test.
// Usage: node scripts/test.mjs [filter-substring...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = find('dist/test').filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) {
  console.error('no test files found (did the TypeScript build run?)');
  process.exit(1);
}
// Tests share 2 cores with libtorch's thread pool: run files one at a time, each in its own process.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
  env: { ...process.env, LETHE_TEST: '1' },
});
process.exit(r.status ?? 1);
