// Worker for failures.test.ts. Modes: 'loop' (all-reduce forever, so a peer can be killed mid-job),
// 'absent' (rank 1 never joins: rank 0 must time out), 'throw' (rank 1 fails with an error after joining).
import { tidy, ones } from '../../../src/torch/index.js';
import { allReduce_, getRank, initFromEnv, runWorker } from '../../../src/distributed/index.js';
import { distributedEnv } from '../../../src/distributed/worker.js';

const mode = process.argv[2];

await runWorker(async () => {
  if (mode === 'absent' && distributedEnv()!.rank === 1) {
    await new Promise((resolve) => setTimeout(resolve, 60_000));
    return;
  }
  initFromEnv();
  if (mode === 'throw' && getRank() === 1) throw new Error('rank 1 gave up on purpose');
  for (;;) {
    tidy(() => allReduce_([ones([1000])]));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
});
