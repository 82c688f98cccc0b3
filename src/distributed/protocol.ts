// What the launcher and its workers agree on: environment variables and the IPC messages a worker sends.
//
// A worker learns its place in the job from LETHE_RANK / LETHE_WORLD_SIZE / LETHE_MASTER (and optionally
// LETHE_DIST_TIMEOUT_MS); LETHE_NUM_THREADS caps libtorch's intra-op threads (read by src/torch/runtime.ts).
// When started by launch() it also has an IPC channel, on which it reports that it joined the group, so the
// launcher can tell "a peer never arrived" from "training is slow".

export const ENV_RANK = 'LETHE_RANK';
export const ENV_WORLD_SIZE = 'LETHE_WORLD_SIZE';
export const ENV_MASTER = 'LETHE_MASTER';
export const ENV_TIMEOUT = 'LETHE_DIST_TIMEOUT_MS';
export const ENV_THREADS = 'LETHE_NUM_THREADS';

/** How long peers may take to arrive, and each collective may take, unless told otherwise. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/** A message from a worker to launch(). `result` carries anything JSON-serialisable (tests, benchmarks). */
export type WorkerMessage = { lethe: 'dist'; type: 'joined'; rank: number } | { lethe: 'dist'; type: 'result'; rank: number; data: unknown };

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && (m as { lethe?: unknown }).lethe === 'dist';
}

type Payload = WorkerMessage extends infer M ? (M extends WorkerMessage ? Omit<M, 'lethe'> : never) : never;

/** Sends a message to the launcher, if this process was started by one (a no-op otherwise). */
export function notifyLauncher(m: Payload): void {
  if (typeof process.send === 'function' && process.connected) process.send({ lethe: 'dist', ...m });
}

/** Sends a JSON-serialisable result to the launcher (collected in LaunchResult.results). */
export function reportResult(rank: number, data: unknown): void {
  notifyLauncher({ type: 'result', rank, data });
}
