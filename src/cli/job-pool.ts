// Runs independent Lethe commands as child processes, a few at a time: `bench --jobs N` gives each (method, seed)
// run its own process. On a CPU, N one-thread processes can beat one N-thread process: libtorch's intra-op threads
// split small layers poorly, and the serial parts of a run (data preparation, the MIA's single-threaded libsvm SVC)
// then run side by side. How much depends on the model and the machine (bench/jobs-speedup.ts measures it).
//
// Each child writes its results itself (atomically, as every Lethe command does); the pool only schedules them,
// forwards their output line by line behind a "[label] " prefix and tells how they ended. A child that fails does
// not stop the others (their runs are independent, and each finished run is kept); no new child starts after it,
// and the pool rejects once the running ones have ended. Ctrl-C is passed on to the running children, which stop
// after their current batch, as a single command does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeExit, forwardLines } from '../distributed/launch.js';
import { ENV_THREADS } from '../distributed/protocol.js';
import { getNumThreads } from '../torch/index.js';
import { InterruptedError } from './errors.js';
import type { RawOptions } from './options.js';
import type { Reporter } from './progress.js';

interface PoolJob {
  /** names the job in its output lines and in errors, e.g. "salun s1" */
  label: string;
  /** the Lethe command line, e.g. ['bench', '--config', file] */
  args: string[];
  /** extra environment */
  env?: Record<string, string>;
}

interface PoolOptions {
  /** how many children run at once (≥ 1) */
  parallel: number;
  /** libtorch intra-op threads of each child (LETHE_NUM_THREADS) */
  threadsPerJob: number;
  signal?: AbortSignal;
}

/** Runs every job, `parallel` at a time, in the order given, with this process's CLI entry script. Resolves when all succeeded. */
async function runPool(jobs: readonly PoolJob[], o: PoolOptions): Promise<void> {
  const entry = process.argv[1];
  if (entry === undefined || entry === '') throw new Error('runPool: cannot tell which script to run (process.argv[1] is empty)');
  const running = new Set<ChildProcess>();
  const failures: string[] = [];
  let next = 0;
  let interrupted = false;

  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      interrupted = true;
      // the children run in their own process groups (a terminal's Ctrl-C reaches only this process): pass it on once
      for (const c of running) c.kill('SIGINT');
    };
    // this process ending while children run (a second Ctrl-C quits at once, or a crash) ends them too: detached,
    // they would otherwise go on alone; their writes are atomic, so nothing is left half-written
    const killAll = (): void => {
      for (const c of running) c.kill('SIGKILL');
    };
    const finish = (): void => {
      o.signal?.removeEventListener('abort', onAbort);
      process.off('exit', killAll);
      if (failures.length > 0) {
        // one line: the CLI prints an error's first line only
        reject(new Error(`${failures.length} of ${jobs.length} run(s) failed: ${failures.join('; ')}`));
      } else if (interrupted) {
        reject(new InterruptedError('interrupted'));
      } else resolve();
    };
    const startNext = (): void => {
      while (running.size < o.parallel && next < jobs.length && failures.length === 0 && !interrupted) {
        const job = jobs[next++]!;
        const tail: string[] = [];
        const child = spawn(process.execPath, [...process.execArgv, entry, ...job.args], {
          env: { ...process.env, ...job.env, [ENV_THREADS]: String(o.threadsPerJob) },
          stdio: ['ignore', 'ignore', 'pipe'],
          detached: true,
        });
        running.add(child);
        forwardLines(child.stderr, process.stderr, `[${job.label}] `, tail);
        let ended = false;
        const end = (problem: string | null): void => {
          if (ended) return;
          ended = true;
          running.delete(child);
          if (problem !== null) {
            const last = tail.filter((l) => l.trim() !== '').slice(-3).join(' | ');
            failures.push(`${job.label} ${problem}${last ? ` (its last output: ${last})` : ''}`);
          }
          if (running.size === 0 && (next >= jobs.length || failures.length > 0 || interrupted)) finish();
          else startNext();
        };
        child.on('error', (e) => end(`could not be started: ${e.message}`));
        // 'close', not 'exit': by then its output has been read to the end, so the tail holds its last words
        child.on('close', (code, signal) => {
          // an interrupted child exits 130 with its finished work on file: that is the interruption, not a failure
          const stopped = interrupted && (code === 130 || signal === 'SIGINT');
          end(code === 0 || stopped ? null : describeExit(code, signal));
        });
      }
    };
    if (o.signal?.aborted) {
      reject(new InterruptedError('interrupted'));
      return;
    }
    o.signal?.addEventListener('abort', onAbort);
    process.on('exit', killAll);
    if (jobs.length === 0) finish();
    else startNext();
  });
}

/** One run of a command: its label and the options that make it differ from the others. */
export interface CommandJob {
  label: string;
  options: RawOptions;
}

/** Set in every worker's environment: its parent has made the shared references and makes the tables. */
const ENV_JOB_WORKER = 'LETHE_JOB_WORKER';

/** Whether this process is a worker of `runCommandJobs` (one run of a `bench --jobs` or `sweep --jobs`). */
export function isJobWorker(): boolean {
  return process.env[ENV_JOB_WORKER] === '1';
}

/**
 * Runs `lethe <command>` once per job, `jobs` at a time, each with this command's `options` (less the keys in
 * `drop`) overlaid by its own, handed over as a --config file; this process's threads are split between them.
 */
export async function runCommandJobs(
  command: string,
  options: RawOptions,
  items: readonly CommandJob[],
  o: { jobs: number; drop: readonly string[]; reporter: Reporter; signal?: AbortSignal },
): Promise<void> {
  if (items.length === 0) return;
  const parallel = Math.min(o.jobs, items.length);
  const available = getNumThreads();
  const threads = Math.max(1, Math.floor(available / parallel));
  const over = parallel > available ? ` (more processes than the ${available} threads this process may use: they will share cores)` : '';
  o.reporter.log(`${command}: ${items.length} run(s), ${parallel} at a time, ${threads} thread(s) each${over}`);
  const inherited = Object.fromEntries(Object.entries(options).filter(([k]) => k !== 'config' && !o.drop.includes(k)));
  const dir = mkdtempSync(join(tmpdir(), `lethe-${command}-jobs-`));
  try {
    const jobs = items.map((item, i) => {
      const file = join(dir, `job${i}.json`);
      writeFileSync(file, JSON.stringify({ ...inherited, ...item.options }));
      return { label: item.label, args: [command, '--config', file], env: { [ENV_JOB_WORKER]: '1' } };
    });
    await runPool(jobs, { parallel, threadsPerJob: threads, ...(o.signal ? { signal: o.signal } : {}) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
