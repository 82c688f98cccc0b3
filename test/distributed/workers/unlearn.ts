// Worker for unlearn.test.ts: the SalUn case through unlearn(), data-parallel.
import { DistributedDataParallel, getRank, initFromEnv, reportResult, runWorker } from '../../../src/distributed/index.js';
import { runUnlearnCase } from './unlearn-case.js';

await runWorker(async () => {
  initFromEnv();
  reportResult(getRank(), await runUnlearnCase(100 + getRank(), (m) => new DistributedDataParallel(m)));
});
