// The worker side of a job: joining from the environment, and ending cleanly on failure.
import { DistributedError, barrier, destroy, initProcessGroup, isInitialized, type ProcessGroup } from './group.js';
import { ENV_MASTER, ENV_RANK, ENV_TIMEOUT, ENV_WORLD_SIZE } from './protocol.js';

/** The job coordinates found in LETHE_RANK / LETHE_WORLD_SIZE / LETHE_MASTER, or null if none is set. */
export function distributedEnv(env: NodeJS.ProcessEnv = process.env): { rank: number; worldSize: number; master: string; timeoutMs?: number } | null {
  const rank = env[ENV_RANK];
  const size = env[ENV_WORLD_SIZE];
  const master = env[ENV_MASTER];
  if (rank === undefined && size === undefined && master === undefined) return null;
  if (rank === undefined || size === undefined || master === undefined) {
    throw new Error(`a distributed worker needs all of ${ENV_RANK}, ${ENV_WORLD_SIZE} and ${ENV_MASTER} (got ${ENV_RANK}=${rank ?? '∅'}, ${ENV_WORLD_SIZE}=${size ?? '∅'}, ${ENV_MASTER}=${master ?? '∅'})`);
  }
  const toInt = (name: string, v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new RangeError(`${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
  const out: { rank: number; worldSize: number; master: string; timeoutMs?: number } = { rank: toInt(ENV_RANK, rank), worldSize: toInt(ENV_WORLD_SIZE, size), master };
  const t = env[ENV_TIMEOUT];
  if (t !== undefined && t !== '') out.timeoutMs = toInt(ENV_TIMEOUT, t);
  return out;
}

/** Joins the job described by the environment (see distributedEnv); null when not started as a worker. */
export function initFromEnv(o: { timeoutMs?: number } = {}): ProcessGroup | null {
  const env = distributedEnv();
  if (env === null) return null;
  return initProcessGroup({ ...env, ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}) });
}

/**
 * Runs a worker's main function: on success the group is destroyed (after a barrier, so no rank tears down
 * connections a peer still uses) and the process exits 0; on failure the error is printed and the process exits
 * 1 at once, which makes launch() stop the whole job.
 */
export async function runWorker(main: () => Promise<void> | void): Promise<never> {
  try {
    await main();
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`${err instanceof DistributedError ? '' : `${err.name ?? 'Error'}: `}${err.message ?? String(e)}\n`);
    process.exit(1);
  }
  try {
    if (isInitialized()) barrier();
    destroy();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
  process.exit(0);
}
