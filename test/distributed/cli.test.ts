// The CLI's data-parallel options: mode resolution, argument stripping, clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveDistributedMode, stripLaunchArgs } from '../../src/distributed/cli.js';

const noEnv = {};

test('modes: single, launch, multi-host worker, spawned worker', () => {
  assert.deepEqual(resolveDistributedMode({}, noEnv), { kind: 'single' });
  assert.deepEqual(resolveDistributedMode({ nproc: '1' }, noEnv), { kind: 'single' });
  assert.deepEqual(resolveDistributedMode({ nproc: '4', distTimeout: '30' }, noEnv, 4), { kind: 'launch', nproc: 4, timeoutMs: 30_000 });
  assert.deepEqual(resolveDistributedMode({ rank: '1', worldSize: '2', master: '10.0.0.1:29500' }, noEnv), {
    kind: 'worker', rank: 1, worldSize: 2, master: '10.0.0.1:29500', timeoutMs: 60_000,
  });
  const env = { LETHE_RANK: '1', LETHE_WORLD_SIZE: '3', LETHE_MASTER: '127.0.0.1:5000', LETHE_DIST_TIMEOUT_MS: '9000' };
  assert.deepEqual(resolveDistributedMode({}, env), { kind: 'worker', rank: 1, worldSize: 3, master: '127.0.0.1:5000', timeoutMs: 9000 });
});

test('clear errors for inconsistent options', () => {
  assert.throws(() => resolveDistributedMode({ nproc: 2, rank: 0 }, noEnv), /either --nproc .* or --rank\/--world-size\/--master/);
  assert.throws(() => resolveDistributedMode({ rank: 0, worldSize: 2 }, noEnv), /missing --master/);
  assert.throws(() => resolveDistributedMode({ rank: 2, worldSize: 2, master: 'h:1' }, noEnv), /--rank 2 is out of range for --world-size 2/);
  assert.throws(() => resolveDistributedMode({ rank: 0, worldSize: 2, master: 'h' }, noEnv), /master must be 'host:port'/);
  assert.throws(() => resolveDistributedMode({ nproc: 'two' }, noEnv), /--nproc must be an integer ≥ 1, got 'two'/);
  // one thread a worker: more workers than cores only time-slice (64 on 2 cores timed out joining)
  assert.throws(() => resolveDistributedMode({ nproc: '4' }, noEnv, 2), /--nproc 4: this machine has 2 cores and each worker takes one; use at most --nproc 2/);
  assert.throws(() => resolveDistributedMode({ distTimeout: '0' }, noEnv), /--dist-timeout must be a positive number/);
  assert.throws(() => resolveDistributedMode({}, { LETHE_RANK: '0' }), /needs all of LETHE_RANK, LETHE_WORLD_SIZE and LETHE_MASTER/);
});

test('stripLaunchArgs removes --nproc in both spellings and nothing else', () => {
  assert.deepEqual(stripLaunchArgs(['train', '--nproc', '2', '--epochs', '3', '--nproc=4', '--out', 'x']), ['train', '--epochs', '3', '--out', 'x']);
});
