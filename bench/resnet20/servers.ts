// What the two resnet20 comparisons share: making sure Debian's PyTorch is importable, starting the Lethe and
// PyTorch servers (lethe-server.ts, torch_step.py) one after the other, and sending them one command.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../build-cpp.js';
import { ChildLineChannel } from '../child-line-channel.js';

/** Debian's interpreter: python3-torch is installed for it, not for a pyenv `python3` earlier on PATH. */
export const PYTHON = '/usr/bin/python3';

export type Side = 'lethe' | 'torch';

export interface ServerMeta {
  impl: string;
  threads: number;
  batch: number;
  evalBatch: number;
  firstLoss: number;
  params: number;
  torch?: string;
  libtorch?: string;
}

export interface Server {
  ch: ChildLineChannel;
  meta: ServerMeta;
}

/** The torch version /usr/bin/python3 imports, installing python3-torch with apt-get if it is missing. */
export function ensureTorch(): string {
  const probe = (): string | null => {
    const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const found = probe();
  if (found !== null) return found;
  process.stderr.write(`${PYTHON} cannot import torch: installing Debian's python3-torch (apt-get install -y python3-torch)\n`);
  try {
    const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
    execFileSync(sudo.length ? 'sudo' : 'apt-get', [...(sudo.length ? ['apt-get'] : []), 'install', '-y', 'python3-torch'], { stdio: 'inherit' });
  } catch {
    throw new Error(`could not install python3-torch; run \`apt-get install python3-torch\` as root, then rerun (the benchmark needs ${PYTHON} -c 'import torch')`);
  }
  const after = probe();
  if (after === null) throw new Error(`python3-torch was installed but ${PYTHON} still cannot import torch`);
  return after;
}

/** Starts (and warms up) the Lethe server, then the PyTorch one, so their warm-ups do not compete. */
export async function startServers(o: { threads: number; batch: number; evalBatch: number; warmup: number; subset?: string; letheDataThreads?: number }): Promise<Record<Side, Server>> {
  const root = repoRoot();
  const script = join(root, 'dist', 'bench', 'resnet20', 'lethe-server.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: compile first with npx tsc -p tsconfig.json`);
  const common = ['--threads', String(o.threads), '--batch', String(o.batch), '--warmup', String(o.warmup), '--seed', '0', ...(o.subset ? ['--subset', o.subset] : [])];
  // Both processes see the same OpenMP thread count; each also sets it explicitly.
  const env = { ...process.env, LETHE_NUM_THREADS: String(o.threads), OMP_NUM_THREADS: String(o.threads) };
  const start = async (what: string, cmd: string, args: string[]): Promise<Server> => {
    const ch = new ChildLineChannel(what, cmd, args, { cwd: root, env });
    return { ch, meta: JSON.parse(await ch.expect('READY')) as ServerMeta };
  };
  const lethe = await start('Lethe resnet20 server', process.execPath, [script, ...common, '--evalBatch', String(o.evalBatch), '--dataThreads', String(o.letheDataThreads ?? 0)]);
  try {
    const torch = await start('PyTorch resnet20 server', PYTHON, [join(root, 'bench', 'resnet20', 'torch_step.py'), ...common, '--eval-batch', String(o.evalBatch)]);
    return { lethe, torch };
  } catch (e) {
    lethe.ch.kill();
    throw e;
  }
}

export interface Timed {
  /** wall ms per step (TRAIN/EVAL) or one entry for the whole epoch (EPOCH/DATA) */
  ms: number[];
  cpuMs: number;
  loss: number;
}

/** Sends one command (`TRAIN n`, `EVAL n`, `EPOCH`, `DATA`) and parses its TIMES answer. */
export async function run(s: Server, command: string): Promise<Timed> {
  s.ch.send(command);
  const [loss, cpuMs, ...ms] = (await s.ch.expect('TIMES')).split(' ').map(Number);
  if (ms.length === 0 || !Number.isFinite(cpuMs) || ms.some((x) => !Number.isFinite(x))) throw new Error(`${s.ch.what}: malformed TIMES line`);
  return { ms, cpuMs: cpuMs!, loss: loss! };
}

export const fmt = (x: number, d = 1): string => x.toFixed(d);

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}
