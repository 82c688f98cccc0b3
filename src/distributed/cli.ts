// What the CLI needs for data parallelism, independent of commander:
//
//   lethe train … --nproc 2                                        one machine, 2 worker processes
//   lethe train … --rank 0 --world-size 2 --master 10.0.0.1:29500  on host A (rank 0 hosts the rendezvous)
//   lethe train … --rank 1 --world-size 2 --master 10.0.0.1:29500  on host B
//
// Wiring (in a command's action): const mode = resolveDistributedMode(opts);
//   mode.kind === 'launch' → await relaunch(mode) (re-runs this very command line as N workers, minus --nproc);
//   mode.kind === 'worker' → const group = joinJob(mode); train with distributedFit / the DDP hooks; only
//                            group.isMaster writes outputs; end through runWorker or destroy();
//   mode.kind === 'single' → the ordinary 1-process path.
import { availableParallelism } from 'node:os';
import { DistributedError, initProcessGroup, parseMaster, type ProcessGroup } from './group.js';
import { launch, LaunchError, type LaunchResult } from './launch.js';
import { DEFAULT_TIMEOUT_MS } from './protocol.js';
import { distributedEnv } from './worker.js';

/** The options as commander parses them (strings or numbers). */
export interface DistributedCliOptions {
  /** --nproc: local worker processes to launch. */
  nproc?: number | string;
  /** --rank: this process's rank in a multi-host job. */
  rank?: number | string;
  /** --world-size: the number of processes in a multi-host job. */
  worldSize?: number | string;
  /** --master: 'host:port' of rank 0. */
  master?: string;
  /** seconds to wait for peers and for each collective (default 60) */
  distTimeout?: number | string;
}

/**
 * How a CLI command runs, from its data-parallel flags: as one process, as the launcher of --nproc local workers, or as
 * one worker of a multi-host job.
 */
export type DistributedMode =
  | { kind: 'single' }
  | { kind: 'launch'; nproc: number; timeoutMs: number }
  | { kind: 'worker'; rank: number; worldSize: number; master: string; timeoutMs: number };

/** Commander flags and help lines for the data-parallel options (add them with cmd.option(flags, description)). */
export const DISTRIBUTED_OPTIONS: readonly { flags: string; description: string }[] = [
  { flags: '--nproc <n>', description: 'train data-parallel with n local worker processes (one thread each); the batch size stays the global one' },
  { flags: '--rank <r>', description: 'multi-host: this process\'s rank, 0 … world-size−1 (rank 0 hosts the rendezvous)' },
  { flags: '--world-size <n>', description: 'multi-host: the total number of processes in the job' },
  { flags: '--master <host:port>', description: 'multi-host: address and port of rank 0, the same on every host' },
  { flags: '--dist-timeout <seconds>', description: 'how long to wait for peers to arrive and for each exchange (default 60)' },
];

function intOption(name: string, v: number | string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`--${name} must be an integer ≥ ${min}, got '${v}'`);
  return n;
}

/** Decides how this process runs from its options (and, for spawned workers, the environment). */
export function resolveDistributedMode(o: DistributedCliOptions, env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): DistributedMode {
  const seconds = o.distTimeout === undefined ? undefined : Number(o.distTimeout);
  if (seconds !== undefined && !(seconds > 0)) throw new RangeError(`--dist-timeout must be a positive number of seconds, got '${o.distTimeout}'`);
  const timeoutMs = seconds === undefined ? DEFAULT_TIMEOUT_MS : Math.round(seconds * 1000);
  // A worker started by launch() carries its coordinates in the environment (launch strips --nproc).
  const fromEnv = distributedEnv(env);
  if (fromEnv !== null) return { kind: 'worker', rank: fromEnv.rank, worldSize: fromEnv.worldSize, master: fromEnv.master, timeoutMs: fromEnv.timeoutMs ?? timeoutMs };
  const nproc = intOption('nproc', o.nproc, 1);
  const rank = intOption('rank', o.rank, 0);
  const worldSize = intOption('world-size', o.worldSize, 1);
  const multi = rank !== undefined || worldSize !== undefined || o.master !== undefined;
  if (nproc !== undefined && multi) {
    throw new Error('use either --nproc (N processes on this machine) or --rank/--world-size/--master (a multi-host job), not both');
  }
  if (multi) {
    const missing = [rank === undefined ? '--rank' : '', worldSize === undefined ? '--world-size' : '', o.master === undefined ? '--master' : ''].filter(Boolean);
    if (missing.length > 0) throw new Error(`a multi-host job needs --rank, --world-size and --master on every host; missing ${missing.join(', ')}`);
    if (rank! >= worldSize!) throw new RangeError(`--rank ${rank} is out of range for --world-size ${worldSize} (ranks are 0 … ${worldSize! - 1})`);
    parseMaster(o.master!);
    return { kind: 'worker', rank: rank!, worldSize: worldSize!, master: o.master!, timeoutMs };
  }
  // each worker runs one thread: more workers than cores only time-slice (and 64 on 2 cores time out joining)
  if (nproc !== undefined && nproc > cores) throw new RangeError(`--nproc ${nproc}: this machine has ${cores} cores and each worker takes one; use at most --nproc ${cores} (several machines: --rank/--world-size/--master)`);
  if (nproc !== undefined && nproc > 1) return { kind: 'launch', nproc, timeoutMs };
  return { kind: 'single' };
}

/** argv without --nproc (both '--nproc 2' and '--nproc=2'), for the workers' command line. */
export function stripLaunchArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--nproc') {
      i++;
      continue;
    }
    if (a.startsWith('--nproc=')) continue;
    out.push(a);
  }
  return out;
}

/**
 * Re-runs this process's own command line as `mode.nproc` workers (without --nproc) and waits for the job.
 * Resolves when every worker succeeded; rejects with a LaunchError (the CLI prints its message, exits 1).
 */
export async function relaunch(mode: Extract<DistributedMode, { kind: 'launch' }>, argv: readonly string[] = process.argv): Promise<LaunchResult> {
  const entry = argv[1];
  if (entry === undefined) throw new Error('relaunch: cannot tell which script to run (process.argv[1] is empty)');
  return launch({ nproc: mode.nproc, entry, args: stripLaunchArgs(argv.slice(2)), timeoutMs: mode.timeoutMs });
}

/** Joins the job as `mode` describes (a worker), returning the default process group. */
export function joinJob(mode: Extract<DistributedMode, { kind: 'worker' }>): ProcessGroup {
  return initProcessGroup({ rank: mode.rank, worldSize: mode.worldSize, master: mode.master, timeoutMs: mode.timeoutMs });
}

/** True for the errors that mean "the distributed job failed" (print the message only, exit 1). */
export function isDistributedFailure(e: unknown): e is DistributedError | LaunchError {
  return e instanceof DistributedError || e instanceof LaunchError;
}
