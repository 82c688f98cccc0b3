// A job fails as a whole, quickly and with a clear message: a killed worker, a worker that throws, a peer that
// never arrives, a master that is not there. A checkpoint written before the failure stays complete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { DistributedError, initProcessGroup, isInitialized } from '../../src/distributed/group.js';
import { freePort, LaunchError } from '../../src/distributed/launch.js';
import { isCompleteCheckpoint, loadCheckpoint } from '../../src/train/checkpoint.js';
import { runJob, startJob } from './helpers.js';

function waitForMessage(w: ChildProcess, pred: (m: { type?: string; data?: unknown }) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const on = (m: unknown): void => {
      if (pred(m as { type?: string })) {
        w.off('message', on);
        resolve();
      }
    };
    w.on('message', on);
  });
}

async function rejection(p: Promise<unknown>): Promise<LaunchError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof LaunchError, `expected a LaunchError, got ${String(e)}`);
    return e;
  }
  assert.fail('the job succeeded but should have failed');
}

test('a worker killed mid-job ends the job at once with a clear error; no worker is left running', async () => {
  const { job } = await startJob('faulty', { nproc: 2, args: ['loop'], timeoutMs: 20_000 });
  await Promise.all(job.workers.map((w) => waitForMessage(w, (m) => m.type === 'joined')));
  const t0 = performance.now();
  process.kill(job.workers[1]!.pid!, 'SIGKILL');
  const e = await rejection(job.done);
  const ms = performance.now() - t0;
  assert.equal(e.rank, 1);
  assert.match(e.message, /worker rank 1 was killed by SIGKILL/);
  assert.match(e.message, /last complete checkpoint/);
  assert.ok(ms < 5000, `the job took ${ms} ms to stop`);
  for (const w of job.workers) assert.ok(w.exitCode !== null || w.signalCode !== null, 'a worker is still running');
});

test('a peer that never arrives: rank 0 times out with a clear message and the job stops', async () => {
  const t0 = performance.now();
  const e = await rejection(runJob('faulty', { nproc: 2, args: ['absent'], timeoutMs: 1500, killGraceMs: 500 }));
  const ms = performance.now() - t0;
  assert.equal(e.rank, 0);
  assert.match(e.message, /not all 2 processes joined the group at 127\.0\.0\.1:\d+ within 1500 ms/);
  assert.ok(ms < 1500 + 5000, `took ${ms} ms`);
});

test('a worker that throws: its message reaches the job error', async () => {
  const e = await rejection(runJob('faulty', { nproc: 2, args: ['throw'], timeoutMs: 10_000 }));
  assert.equal(e.rank, 1);
  assert.match(e.message, /worker rank 1 exited with code 1 \(its last output: Error: rank 1 gave up on purpose\)/);
});

test('in-process rendezvous errors: no master to reach, and a master whose peer never comes', async () => {
  const port = await freePort();
  let t0 = performance.now();
  assert.throws(() => initProcessGroup({ rank: 1, worldSize: 2, master: `127.0.0.1:${port}`, timeoutMs: 1000 }), (e: unknown) => {
    assert.ok(e instanceof DistributedError);
    assert.match(e.message, new RegExp(`rank 1 could not reach the master 127\\.0\\.0\\.1:${port} within 1000 ms`));
    return true;
  });
  assert.ok(performance.now() - t0 < 4000);
  t0 = performance.now();
  assert.throws(() => initProcessGroup({ rank: 0, worldSize: 2, master: `127.0.0.1:${port}`, timeoutMs: 1000 }), /rank 0: not all 2 processes joined/);
  assert.ok(performance.now() - t0 < 4000);
  assert.equal(isInitialized(), false);
  assert.throws(() => initProcessGroup({ rank: 2, worldSize: 2, master: `127.0.0.1:${port}` }), /rank must be an integer in \[0, 2\)/);
  assert.throws(() => initProcessGroup({ rank: 0, worldSize: 2, master: 'localhost' }), /master must be 'host:port'/);
  assert.throws(() => initProcessGroup({ rank: 0, worldSize: 2, master: `127.0.0.1:${port}`, timeoutMs: 500 }), /at least 1000/);
});

test('killing a worker while rank 0 checkpoints every epoch leaves a complete, loadable checkpoint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-dist-'));
  try {
    const ckpt = join(dir, 'ckpt');
    const { job } = await startJob('fit', { nproc: 2, args: [ckpt, '100000'], timeoutMs: 20_000 });
    await waitForMessage(job.workers[0]!, (m) => m.type === 'result' && (m.data as { checkpoint?: number }).checkpoint === 3);
    process.kill(job.workers[1]!.pid!, 'SIGKILL');
    const e = await rejection(job.done);
    assert.equal(e.rank, 1);
    assert.ok(isCompleteCheckpoint(ckpt), 'the checkpoint is incomplete after the job was killed');
    const { model, manifest } = loadCheckpoint(ckpt);
    assert.ok((manifest['epoch'] as number) >= 3);
    model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
