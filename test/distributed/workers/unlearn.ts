// Worker for unlearn.test.ts: the SalUn-style case, data-parallel.
import { DistributedDataParallel, getRank, initFromEnv, reportResult, runWorker } from '../../../src/distributed/index.js';
import { runUnlearnCase } from './unlearn-case.js';

await runWorker(() => {
  initFromEnv();
  reportResult(getRank(), runUnlearnCase(100 + getRank(), (m) => new DistributedDataParallel(m)));
});
