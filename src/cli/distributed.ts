// Data-parallel runs of `lethe train` and `lethe unlearn`: --nproc N relaunches this command as N local workers;
// --rank/--world-size/--master joins a multi-host job. Every rank runs the same command; only rank 0 writes
// outputs and prints results (src/distributed/README.md has the details).
import { DistributedDataParallel } from '../distributed/ddp.js';
import { destroy } from '../distributed/group.js';
import { joinJob, relaunch, resolveDistributedMode, type DistributedCliOptions } from '../distributed/cli.js';
import type { Module } from '../nn/module.js';
import type { ParallelHooks } from '../train/parallel.js';
import { UsageError } from './errors.js';
import type { Opts } from './options.js';

export interface Parallel {
  /** wraps a model for data-parallel training (broadcasts rank 0's weights) */
  wrap: (model: Module) => ParallelHooks;
  rank: number;
  isMaster: boolean;
}

/**
 * Runs `fn` as this process's share of the job the options describe: directly (one process, `parallel`
 * undefined), as a launcher of N local workers (returns null once they all succeeded), or as one worker.
 */
export async function runDistributed<T>(o: Opts, fn: (parallel: Parallel | undefined) => Promise<T>): Promise<T | null> {
  let mode;
  try {
    mode = resolveDistributedMode(o.raw as DistributedCliOptions);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (mode.kind === 'single') return fn(undefined);
  if (mode.kind === 'launch') {
    await relaunch(mode);
    return null;
  }
  const group = joinJob(mode);
  try {
    return await fn({ wrap: (m) => new DistributedDataParallel(m, { group }), rank: group.rank, isMaster: group.rank === 0 });
  } finally {
    destroy();
  }
}
