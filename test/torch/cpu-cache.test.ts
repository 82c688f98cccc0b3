// The large-block CPU cache: freed blocks of >= 32 MB are handed out again for the same size, within the limit,
// and a reused block holds what the new tensor's creation wrote (never the old contents).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuCache, emptyCpuCache, full, memory, setCpuCacheLimit, zeros } from '../../src/index.js';
import { cpuCacheLimitFromEnv, defaultCpuCacheMb } from '../../src/torch/runtime.js';

const MB = 2 ** 20;
// 40 MB of float32: over the 32 MB from which blocks are kept
const BIG = [10 * MB];

test('a freed large block is reused for the same size, holding the new values', (t) => {
  const info = cpuCache();
  if (process.env['LETHE_CPU_CACHE'] === '0') return t.skip('LETHE_CPU_CACHE=0 in this environment');
  assert.equal(info.enabled, true, 'the cache is installed by default');
  assert.equal(info.minBytes, 32 * MB);
  emptyCpuCache();
  const tensors = memory().numTensors;
  const a = full(BIG, 7);
  a.dispose();
  const kept = cpuCache();
  assert.equal(kept.cachedBytes, 40 * MB, 'the 40 MB block is kept when freed');
  const b = zeros(BIG);
  const after = cpuCache();
  assert.equal(after.hits, kept.hits + 1, 'the next allocation of that size takes it');
  assert.equal(after.cachedBytes, 0);
  const total = b.sum();
  assert.equal(total.item(), 0, 'zeros() on a reused block is all zeros, not the 7s it held');
  total.dispose();
  b.dispose();
  // a small tensor never goes to the cache
  zeros([1024]).dispose();
  assert.equal(cpuCache().cachedBytes, 40 * MB);
  emptyCpuCache();
  assert.equal(cpuCache().cachedBytes, 0);
  assert.equal(memory().numTensors, tensors, 'no tensor leaked');
});

test('the cache keeps at most its limit, and a lower limit frees what is over it', (t) => {
  const info = cpuCache();
  if (process.env['LETHE_CPU_CACHE'] === '0') return t.skip('LETHE_CPU_CACHE=0 in this environment');
  assert.equal(info.enabled, true, 'the cache is installed by default');
  emptyCpuCache();
  try {
    setCpuCacheLimit(100 * MB);
    const blocks = [zeros(BIG), zeros(BIG), zeros(BIG)];
    for (const x of blocks) x.dispose();
    assert.equal(cpuCache().cachedBytes, 80 * MB, 'two 40 MB blocks fit in 100 MB, the third is freed');
    setCpuCacheLimit(50 * MB);
    assert.equal(cpuCache().cachedBytes, 40 * MB, 'lowering the limit frees blocks until the rest fits');
    setCpuCacheLimit(0);
    assert.equal(cpuCache().cachedBytes, 0);
    assert.throws(() => setCpuCacheLimit(-1), /bytes must be a finite number >= 0/);
  } finally {
    setCpuCacheLimit(info.limitBytes);
    emptyCpuCache();
  }
});

test('LETHE_CPU_CACHE: a size in MB, 0 turns the cache off, a bad value gives the default and says so', () => {
  const warnings: string[] = [];
  const warn = (m: string): number => warnings.push(m);
  const GB = 2 ** 30;
  assert.equal(defaultCpuCacheMb(24 * GB), 4096, '4 GB on a large machine');
  assert.equal(defaultCpuCacheMb(8 * GB), 2048, 'a quarter of a smaller one');
  assert.equal(cpuCacheLimitFromEnv(undefined, warn, 24 * GB), 4096);
  assert.equal(cpuCacheLimitFromEnv('0', warn, 24 * GB), 0);
  assert.equal(cpuCacheLimitFromEnv(' 512 ', warn, 24 * GB), 512);
  assert.deepEqual(warnings, []);
  for (const bad of ['lots', '-1', '1.5', '99999999999']) {
    assert.equal(cpuCacheLimitFromEnv(bad, warn, 8 * GB), 2048, bad);
    assert.match(warnings.pop()!, /LETHE_CPU_CACHE must be a size in MB .*got '.*'; using 2048/);
  }
});

test('with LETHE_CPU_CACHE=0 the cache is off and tensors still work', () => {
  const runtime = fileURLToPath(new URL('../../src/index.js', import.meta.url));
  const script = `import('${runtime}').then((t) => { const x = t.full([10 * 2 ** 20], 2); const s = x.sum().item(); x.dispose(); console.log(JSON.stringify({ s, ...t.cpuCache() })); })`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, LETHE_CPU_CACHE: '0' }, encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const r = JSON.parse(out.stdout.trim()) as { s: number; enabled: boolean; cachedBytes: number };
  assert.equal(r.enabled, false);
  assert.equal(r.cachedBytes, 0);
  assert.equal(r.s, 20 * MB);
});
