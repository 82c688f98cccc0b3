// launch(): runs a data-parallel job as N local worker processes (torchrun's --standalone, in miniature).
//
// Each worker is child_process.fork(entry, args) with LETHE_RANK / LETHE_WORLD_SIZE / LETHE_MASTER set (the
// master is 127.0.0.1 on a free port picked here) and LETHE_NUM_THREADS=1, so N processes share the cores
// instead of fighting over them. Output is forwarded line by line with a "[rank r] " prefix.
//
// The job fails as a whole, quickly and clearly: if any worker exits with a non-zero code or a signal, or does
// not join the group within the timeout, the others are terminated (SIGTERM, then SIGKILL after a grace
// period) and launch() rejects with a LaunchError naming the rank and the cause. Rank 0 writes checkpoints
// atomically (temp file + rename, manifest last), so killing the job never leaves a half-written checkpoint:
// the last complete one stays intact.
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
// (Only protocol.ts: the launcher itself never loads libtorch.)
import { DEFAULT_TIMEOUT_MS, ENV_MASTER, ENV_RANK, ENV_THREADS, ENV_TIMEOUT, ENV_WORLD_SIZE, isWorkerMessage } from './protocol.js';

/** Options of launch(). */
export interface LaunchOptions {
  /** number of local worker processes (≥ 1) */
  nproc: number;
  /** the worker's entry module (a .js file), forked once per rank */
  entry: string;
  /** Arguments passed to every worker (default none). */
  args?: readonly string[];
  /** how long workers may take to join, and each collective's timeout (default 60 s) */
  timeoutMs?: number;
  /** intra-op threads per worker (default 1) */
  threadsPerProcess?: number;
  /** rendezvous port on 127.0.0.1 (default: a free port) */
  port?: number;
  /** extra environment for the workers */
  env?: Readonly<Record<string, string>>;
  /** node flags for the workers (default: this process's execArgv) */
  execArgv?: readonly string[];
  /** where prefixed output goes (default process.stdout / process.stderr); null drops it */
  stdout?: Writable | null;
  /** Where the workers' prefixed stderr goes (default process.stderr); null drops it. */
  stderr?: Writable | null;
  /** grace between SIGTERM and SIGKILL when stopping the job (default 2 s) */
  killGraceMs?: number;
}

/** What launch() resolves to once every worker exited with code 0. */
export interface LaunchResult {
  /** The number of workers. */
  nproc: number;
  /** The rendezvous address the workers used ('127.0.0.1:port'). */
  master: string;
  /** what each rank sent with reportResult(), by rank */
  results: unknown[];
  /** Wall time of the job. */
  seconds: number;
}

/**
 * A launched job that failed: a worker exited with an error or a signal, or did not join in time; the other workers
 * were stopped.
 */
export class LaunchError extends Error {
  constructor(
    message: string,
    /** the rank whose failure ended the job, if one did */
    readonly rank: number | null,
    /** the last lines each rank wrote to stderr, for the report */
    readonly stderrTail: string[][],
  ) {
    super(message);
    this.name = 'LaunchError';
  }
}

/** A running job: its workers (e.g. to signal one), and the promise of its end. */
export interface LaunchJob {
  /** The worker processes, by rank. */
  readonly workers: readonly ChildProcess[];
  /** The rendezvous address the workers use. */
  readonly master: string;
  /** Settles when the job ends: resolves when every worker exited with code 0, rejects with a LaunchError otherwise. */
  readonly done: Promise<LaunchResult>;
  /** stops every worker; `done` rejects with `reason` */
  abort(reason?: string): void;
}

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('launch: could not find a free port'))));
    });
  });
}

/** Writes each line of `stream` to `out` behind `prefix`, and keeps the last 20 in `tail` (for error reports). */
export function forwardLines(stream: Readable | null, out: Writable | null, prefix: string, tail: string[]): void {
  if (stream === null) return;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    out?.write(`${prefix}${line}\n`);
  });
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
}

function checkOptions(o: LaunchOptions): void {
  if (!Number.isInteger(o.nproc) || o.nproc < 1) throw new RangeError(`launch: nproc must be a positive integer, got ${o.nproc}`);
  if (typeof o.entry !== 'string' || o.entry === '') throw new TypeError('launch: entry must be the path of the worker script');
  const t = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(t) || t < 1000) throw new RangeError(`launch: timeoutMs must be an integer of at least 1000, got ${t}`);
  const th = o.threadsPerProcess ?? 1;
  if (!Number.isInteger(th) || th < 1) throw new RangeError(`launch: threadsPerProcess must be a positive integer, got ${th}`);
}

/** Starts the workers and returns at once; `job.done` settles when the job ends. */
export async function startLaunch(o: LaunchOptions): Promise<LaunchJob> {
  checkOptions(o);
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const port = o.port ?? (await freePort());
  const master = `127.0.0.1:${port}`;
  const stdout = o.stdout === undefined ? process.stdout : o.stdout;
  const stderr = o.stderr === undefined ? process.stderr : o.stderr;
  const grace = o.killGraceMs ?? 2000;
  const started = performance.now();
  const results: unknown[] = new Array(o.nproc).fill(undefined);
  const tails: string[][] = Array.from({ length: o.nproc }, () => []);
  const joined = new Set<number>();
  const exited = new Set<number>();
  let failure: LaunchError | null = null;
  let resolveDone!: (r: LaunchResult) => void;
  let rejectDone!: (e: LaunchError) => void;
  const done = new Promise<LaunchResult>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });

  const workers: ChildProcess[] = [];
  const killTimers: NodeJS.Timeout[] = [];
  const stopAll = (): void => {
    for (const [r, w] of workers.entries()) {
      if (exited.has(r)) continue;
      w.kill('SIGTERM');
      const t = setTimeout(() => {
        if (!exited.has(r)) w.kill('SIGKILL');
      }, grace);
      t.unref();
      killTimers.push(t);
    }
  };
  const fail = (message: string, rank: number | null): void => {
    if (failure !== null) return;
    failure = new LaunchError(message, rank, tails);
    clearTimeout(joinTimer);
    stopAll();
    if (exited.size === workers.length) rejectDone(failure);
  };
  const joinTimer = setTimeout(() => {
    const missing = [...Array(o.nproc).keys()].filter((r) => !joined.has(r));
    if (missing.length > 0) {
      fail(`launch: rank${missing.length > 1 ? 's' : ''} ${missing.join(', ')} did not join the process group within ${timeoutMs} ms; the job was stopped`, missing[0]!);
    }
  }, timeoutMs + 5000); // the workers' own rendezvous timeout fires first and says more
  joinTimer.unref();

  for (let rank = 0; rank < o.nproc; rank++) {
    const w = fork(o.entry, [...(o.args ?? [])], {
      env: {
        ...process.env,
        ...o.env,
        [ENV_RANK]: String(rank),
        [ENV_WORLD_SIZE]: String(o.nproc),
        [ENV_MASTER]: master,
        [ENV_TIMEOUT]: String(timeoutMs),
        [ENV_THREADS]: String(o.threadsPerProcess ?? 1),
      },
      execArgv: [...(o.execArgv ?? process.execArgv)],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    workers.push(w);
    forwardLines(w.stdout, stdout, `[rank ${rank}] `, []);
    forwardLines(w.stderr, stderr, `[rank ${rank}] `, tails[rank]!);
    w.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      if (m.type === 'joined') joined.add(rank);
      else if (m.type === 'result') results[rank] = m.data;
    });
    w.on('error', (e) => fail(`launch: worker rank ${rank} could not be started: ${e.message}`, rank));
    w.on('exit', (code, signal) => {
      exited.add(rank);
      if (failure === null && (code !== 0 || signal !== null)) {
        const last = tails[rank]!.filter((l) => l.trim() !== '').slice(-3).join(' | ');
        fail(
          `launch: worker rank ${rank} ${describeExit(code, signal)}${last ? ` (its last output: ${last})` : ''}; ` +
            `the other ${o.nproc - 1} worker(s) were stopped. The last complete checkpoint, if any, is intact.`,
          rank,
        );
      }
      if (exited.size === workers.length) {
        clearTimeout(joinTimer);
        for (const t of killTimers) clearTimeout(t);
        if (failure !== null) rejectDone(failure);
        else resolveDone({ nproc: o.nproc, master, results, seconds: (performance.now() - started) / 1000 });
      }
    });
  }
  return {
    workers,
    master,
    done,
    abort: (reason = 'launch: the job was aborted') => fail(reason, null),
  };
}

/** Runs a job to completion: resolves when every worker exits with 0, rejects with a LaunchError otherwise. */
export async function launch(o: LaunchOptions): Promise<LaunchResult> {
  return (await startLaunch(o)).done;
}
