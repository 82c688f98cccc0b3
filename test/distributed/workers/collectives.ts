// Worker for collectives.test.ts: exercises allReduce_, broadcast_, barrier and the bucketed mean on real values.
import { noGrad, tensor, zeros, tidy } from '../../../src/torch/index.js';
import { BatchNorm2d } from '../../../src/nn/normalization.js';
import { allReduce_, barrier, broadcast_, bucketedAllReduce_, defaultGroup, DistributedDataParallel, getRank, getWorldSize, initFromEnv, reportResult, runWorker } from '../../../src/distributed/index.js';

await runWorker(() => {
  initFromEnv();
  const r = getRank();
  const W = getWorldSize();
  const out: Record<string, unknown> = { rank: r, worldSize: W };
  tidy(() => {
    // several tensors of different dtypes and shapes in one call: each reduced on its own
    const a = tensor([r + 1, 10 * (r + 1), -0.25], { dtype: 'float32' });
    const b = tensor([[0.5 * r, 1], [2, 3]], { dtype: 'float64' });
    const c = tensor([r, 7], { dtype: 'int64' });
    allReduce_([a, b, c]);
    out['allReduce'] = [a.toArray(), b.toArray(), c.toArray()];
    // broadcast from the last rank
    const d = tensor([r, r * 2, r * 3], { dtype: 'float32' });
    const e = zeros([2, 2]).add(r);
    broadcast_([d, e], W - 1);
    out['broadcast'] = [d.toArray(), e.toArray()];
    // bucketed mean, several buckets (a 16-byte cap forces splits), mixed dtypes, a non-contiguous tensor
    const f = tensor([1, 2, 3, 4, 5].map((v) => v * (r + 1)), { dtype: 'float32' });
    const g = tensor([[r, 1], [2, r]], { dtype: 'float64' }).t();
    const h = tensor([3 * r], { dtype: 'float32' });
    bucketedAllReduce_(defaultGroup(), [f, g, h], { scale: 1 / W, capBytes: 16 });
    out['bucketed'] = [f.toArray(), g.toArray(), h.toArray()];
  });
  // DDP: parameters and buffers start as rank 0's; syncBuffers averages running stats, takes integer buffers from rank 0
  const bn = new BatchNorm2d(2);
  const buf = (name: string) => new Map(bn.namedBuffers()).get(name)!;
  const param = (name: string) => new Map(bn.namedParameters()).get(name)!;
  noGrad(() => {
    param('weight').fill_(r + 2);
    buf('running_mean').fill_(r + 5);
  });
  const ddp = new DistributedDataParallel(bn);
  const afterBroadcast = [param('weight').toArray(), buf('running_mean').toArray()];
  noGrad(() => {
    buf('running_mean').fill_(r);
    buf('running_var').fill_(2 * r + 1);
    buf('num_batches_tracked').fill_(10 + r);
  });
  ddp.syncBuffers();
  out['ddp'] = { afterBroadcast, synced: [buf('running_mean').toArray(), buf('running_var').toArray(), buf('num_batches_tracked').item()] };
  bn.dispose();
  // barrier: rank 0 arrives 400 ms late; everyone else must wait for it
  if (r === 0) {
    const until = Date.now() + 400;
    while (Date.now() < until) {
      /* busy wait: sleep would need the event loop */
    }
  }
  const t0 = performance.now();
  barrier();
  out['barrierMs'] = performance.now() - t0;
  reportResult(r, out);
});
