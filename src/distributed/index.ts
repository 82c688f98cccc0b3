// Data-parallel training and unlearning over libtorch's c10d + Gloo. See README "Data parallelism".
export {
  initProcessGroup,
  allReduce_,
  broadcast_,
  barrier,
  destroy,
  isInitialized,
  defaultGroup,
  getRank,
  getWorldSize,
  parseMaster,
  ProcessGroup,
  DistributedError,
  type InitProcessGroupOptions,
} from './group.js';
export { bucketedAllReduce_, planBuckets, DEFAULT_BUCKET_CAP_BYTES, type BucketedReduceOptions } from './buckets.js';
export { DistributedDataParallel, type DistributedDataParallelOptions, type SyncGradientsOptions } from './ddp.js';
export { DistributedSampler, shardedLoader, localBatchSize, type DistributedSamplerOptions, type ShardedLoaderOptions } from './sampler.js';
export { distributedFit, type DistributedFitOptions } from './fit.js';
export { launch, startLaunch, freePort, LaunchError, type LaunchOptions, type LaunchResult, type LaunchJob } from './launch.js';
export { distributedEnv, initFromEnv, runWorker } from './worker.js';
export { reportResult, DEFAULT_TIMEOUT_MS } from './protocol.js';
// The command line's own plumbing (./cli.ts: reading the --nproc/--rank flags, relaunching itself as workers) is
// not part of the library's API; `launch` is the library's way to start worker processes.
