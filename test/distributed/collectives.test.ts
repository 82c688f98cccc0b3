// All-reduce, broadcast, barrier and the bucketed mean across 2 real processes (c10d + Gloo on 127.0.0.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runJob } from './helpers.js';

interface Out {
  rank: number;
  worldSize: number;
  allReduce: unknown[];
  broadcast: unknown[];
  bucketed: unknown[];
  barrierMs: number;
  ddp: { afterBroadcast: unknown[]; synced: unknown[] };
}

test('2 processes: allReduce_ sums, broadcast_ copies the root, DDP broadcasts state and syncs BatchNorm buffers, barrier waits', async () => {
  const r = await runJob('collectives', { nproc: 2, timeoutMs: 20_000 });
  const outs = r.results as Out[];
  assert.equal(outs.length, 2);
  for (const [rank, o] of outs.entries()) {
    assert.equal(o.rank, rank);
    assert.equal(o.worldSize, 2);
    // ranks contribute [1, 10, -0.25] and [2, 20, -0.25]; [[0,1],[2,3]] and [[0.5,1],[2,3]]; [0,7] and [1,7]
    assert.deepEqual(o.allReduce, [
      [3, 30, -0.5],
      [[0.5, 2], [4, 6]],
      [1, 14],
    ]);
    assert.deepEqual(o.broadcast, [
      [1, 2, 3],
      [[1, 1], [1, 1]],
    ]);
    // means over ranks: f = [1..5]·(1 + 2)/2; g = transpose of mean([[r,1],[2,r]]) = [[0.5,2],[1,0.5]]; h = 3·0.5
    // rank 0 had weight 2 and running_mean 5; then running stats r and 2r+1 average to 0.5 and 2, count from rank 0
    assert.deepEqual(o.ddp.afterBroadcast, [[2, 2], [5, 5]]);
    assert.deepEqual(o.ddp.synced, [[0.5, 0.5], [2, 2], 10]);
    assert.deepEqual(o.bucketed, [[1.5, 3, 4.5, 6, 7.5], [[0.5, 2], [1, 0.5]], [1.5]]);
  }
  // rank 1 reached the barrier ~400 ms before rank 0 and must have waited for it
  assert.ok(outs[1]!.barrierMs > 250, `rank 1 left the barrier after ${outs[1]!.barrierMs} ms`);
  assert.ok(outs[0]!.barrierMs < 250, `rank 0 (last to arrive) waited ${outs[0]!.barrierMs} ms`);
});
