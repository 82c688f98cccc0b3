// Process groups: rendezvous through a c10d TCPStore held by rank 0, collectives through Gloo.
//
//   const group = initProcessGroup({ rank, worldSize, master: '10.0.0.1:29500', timeoutMs: 60_000 });
//   allReduce_([t]);        // t ← Σ_ranks t, in place
//   broadcast_([t], 0);     // t ← rank 0's t, in place
//   barrier();
//   destroy();
//
// Every call blocks until all ranks take part or `timeoutMs` passes; a peer that dies, never arrives or times
// out becomes a DistributedError naming the rank and what to check, never a hang. After a failed collective
// the group is broken (ranks may disagree on what completed) and every later call fails at once: end the job.
import { Tensor } from '../torch/tensor.js';
import { distributedAddon, type GlooDevice, type GroupHandle, type StoreHandle } from './native.js';
import { DEFAULT_TIMEOUT_MS, notifyLauncher } from './protocol.js';

/** Options of initProcessGroup. Throws a RangeError on a bad rank, worldSize, master or a timeoutMs below 1000. */
export interface InitProcessGroupOptions {
  /** this process's rank, 0 … worldSize−1; rank 0 hosts the rendezvous store */
  rank: number;
  /** The number of processes in the job; every rank passes the same. */
  worldSize: number;
  /** 'host:port' of rank 0's store ('[::1]:port' for IPv6); rank 0 listens there */
  master: string;
  /** how long to wait for peers to arrive and for each collective (default 60 s) */
  timeoutMs?: number;
  /**
   * Where this rank's Gloo connections bind. Default: 127.0.0.1 when the master is a loopback address,
   * else the interface in GLOO_SOCKET_IFNAME if set, else the address this machine's hostname resolves to.
   */
  device?: { interface: string } | { hostname: string };
}

/** A failure of the distributed job (peer gone, timeout, rendezvous): the run cannot continue. */
export class DistributedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DistributedError';
  }
}

/** Splits 'host:port' or '[v6]:port'. */
export function parseMaster(master: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(master) ?? /^([^:\s]+):(\d+)$/.exec(master);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`master must be 'host:port' with a port in 1…65535 (e.g. 10.0.0.1:29500), got '${master}'`);
  }
  return { host: m[1]!, port };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function defaultDevice(host: string): GlooDevice {
  if (isLoopback(host)) return { hostname: '127.0.0.1' };
  const ifname = process.env['GLOO_SOCKET_IFNAME'];
  if (ifname) return { interface: ifname };
  return {};
}

/**
 * A c10d process group over Gloo: rendezvous through a TCPStore on rank 0, collectives that block until every rank
 * takes part or timeoutMs passes (then a DistributedError, and the group is broken). Create it with initProcessGroup.
 */
export class ProcessGroup {
  /** This process's rank, 0 … worldSize − 1. */
  readonly rank: number;
  /** The number of processes. */
  readonly worldSize: number;
  /** 'host:port' of rank 0's rendezvous store. */
  readonly master: string;
  /** The rendezvous and per-collective timeout in milliseconds. */
  readonly timeoutMs: number;
  private store: StoreHandle | null;
  private group: GroupHandle | null;
  private broken: string | null = null;
  /** seconds spent inside collectives (all-reduce, broadcast, barrier) since creation */
  commSeconds = 0;

  /** Not for users: call initProcessGroup, which also makes the group the default one. */
  constructor(o: InitProcessGroupOptions) {
    const { rank, worldSize } = o;
    if (!Number.isInteger(worldSize) || worldSize < 1) throw new RangeError(`initProcessGroup: worldSize must be a positive integer, got ${worldSize}`);
    if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new RangeError(`initProcessGroup: rank must be an integer in [0, ${worldSize}), got ${rank}`);
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // c10d's socket code counts connect deadlines in whole seconds: below 1 s the store cannot even reach itself.
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1000) throw new RangeError(`initProcessGroup: timeoutMs must be an integer of at least 1000 (c10d counts connection timeouts in seconds), got ${timeoutMs}`);
    const { host, port } = parseMaster(o.master);
    this.rank = rank;
    this.worldSize = worldSize;
    this.master = o.master;
    this.timeoutMs = timeoutMs;
    const addon = distributedAddon();
    try {
      this.store = addon.distStoreCreate(host, port, rank === 0, worldSize, timeoutMs);
    } catch (e) {
      const why = (e as Error).message;
      throw new DistributedError(
        rank === 0
          ? `rank 0 could not open the rendezvous store on ${o.master}: ${why}. Is the port free, and is ${host} an address of this machine?`
          : `rank ${rank} could not reach the master ${o.master} within ${timeoutMs} ms: ${why}. Is rank 0 running, and is the port reachable from this host?`,
      );
    }
    try {
      this.group = addon.distGroupCreate(this.store, rank, worldSize, o.device ?? defaultDevice(host), timeoutMs);
    } catch (e) {
      addon.distStoreDestroy(this.store);
      this.store = null;
      throw new DistributedError(
        `rank ${rank}: not all ${worldSize} processes joined the group at ${o.master} within ${timeoutMs} ms ` +
          `(a peer never arrived or cannot be reached): ${(e as Error).message}. Start every rank with the same --master and --world-size.`,
      );
    }
  }

  /** Rank 0: the one that writes checkpoints and reports. */
  get isMaster(): boolean {
    return this.rank === 0;
  }

  private handle(what: string): GroupHandle {
    if (this.broken !== null) throw new DistributedError(`${what}: the process group failed earlier (${this.broken}); end the job`);
    if (this.group === null) throw new DistributedError(`${what}: the process group was destroyed`);
    return this.group;
  }

  private run(what: string, tensors: readonly Tensor[] | null, op: (g: GroupHandle) => void): void {
    const g = this.handle(what);
    if (tensors !== null) checkTensors(tensors, what);
    const t0 = performance.now();
    try {
      op(g);
    } catch (e) {
      const why = (e as Error).message;
      this.broken = why;
      throw new DistributedError(
        `${what} failed on rank ${this.rank} of ${this.worldSize}: ${why}. A peer process died, was killed, or did not reach the same step within ${this.timeoutMs} ms.`,
      );
    } finally {
      this.commSeconds += (performance.now() - t0) / 1000;
    }
  }

  /** In place: each tensor becomes its element-wise sum over all ranks. Same shapes and dtypes on every rank. */
  allReduce_(tensors: readonly Tensor[]): void {
    this.run('allReduce_', tensors, (g) => distributedAddon().distAllReduceSum(g, tensors.map((t) => t.handle)));
  }

  /** In place: each tensor takes the values it has on rank `root`. */
  broadcast_(tensors: readonly Tensor[], root = 0): void {
    if (!Number.isInteger(root) || root < 0 || root >= this.worldSize) throw new RangeError(`broadcast_: root must be a rank in [0, ${this.worldSize}), got ${root}`);
    this.run('broadcast_', tensors, (g) => distributedAddon().distBroadcast(g, tensors.map((t) => t.handle), root));
  }

  /** Returns once every rank has called barrier(). */
  barrier(): void {
    this.run('barrier', null, (g) => distributedAddon().distBarrier(g));
  }

  /** Closes the group's connections (rank 0 also stops the store). Idempotent. */
  destroy(): void {
    const addon = distributedAddon();
    if (this.group !== null) addon.distGroupDestroy(this.group);
    if (this.store !== null) addon.distStoreDestroy(this.store);
    this.group = null;
    this.store = null;
  }
}

function checkTensors(tensors: readonly Tensor[], what: string): void {
  if (!Array.isArray(tensors)) throw new TypeError(`${what}: expected an array of tensors`);
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`${what}: element ${i} is not a Tensor`);
    if (t.isDisposed) throw new Error(`${what}: tensor ${i} was disposed`);
    if (t.device !== 'cpu') throw new Error(`${what}: tensor ${i} is on ${t.device}; the Gloo backend works on CPU tensors`);
    if (!t.isContiguous()) throw new Error(`${what}: tensor ${i} is not contiguous; reduce t.contiguous() and copy the result back`);
  });
}

// ---- the default group (torch.distributed's module-level API) ---------------------------------------------

let current: ProcessGroup | null = null;

/** Joins (rank > 0) or hosts (rank 0) the job's rendezvous and connects every rank; becomes the default group. */
export function initProcessGroup(o: InitProcessGroupOptions): ProcessGroup {
  if (current !== null) throw new Error('initProcessGroup: a process group is already initialized in this process; call destroy() first');
  current = new ProcessGroup(o);
  notifyLauncher({ type: 'joined', rank: current.rank });
  return current;
}

/** Whether this process has a default process group (initProcessGroup was called and destroy() was not). */
export function isInitialized(): boolean {
  return current !== null;
}

/** The default group; throws if initProcessGroup was not called. */
export function defaultGroup(): ProcessGroup {
  if (current === null) throw new Error('no process group: call initProcessGroup({ rank, worldSize, master }) first');
  return current;
}

/** This process's rank (0 without a process group). */
export function getRank(): number {
  return current?.rank ?? 0;
}

/** The number of processes (1 without a process group). */
export function getWorldSize(): number {
  return current?.worldSize ?? 1;
}

/** Σ over ranks, in place, on the default group. */
export function allReduce_(tensors: readonly Tensor[], group: ProcessGroup = defaultGroup()): void {
  group.allReduce_(tensors);
}

/** Rank `root`'s values everywhere, in place, on the default group. */
export function broadcast_(tensors: readonly Tensor[], root = 0, group: ProcessGroup = defaultGroup()): void {
  group.broadcast_(tensors, root);
}

/** Returns once every rank of `group` (the default group unless given) has called barrier(). */
export function barrier(group: ProcessGroup = defaultGroup()): void {
  group.barrier();
}

/** Destroys the default group (a no-op without one). */
export function destroy(): void {
  current?.destroy();
  current = null;
}
