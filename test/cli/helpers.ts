// Drives the real `lethe` CLI as a child process, on tiny seeded subsets of Debian's Fashion-MNIST.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'lethe');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix = 'lethe-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Spawns the CLI; `onStderr` sees stderr as it arrives (to send signals at the right moment). */
export function startCli(args: string[], o: { cwd: string; env?: Record<string, string>; onStderr?: (text: string, child: ChildProcess) => void }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: o.cwd,
      env: { ...process.env, LETHE_CACHE: join(o.cwd, 'cache'), LETHE_NUM_THREADS: '2', CI: '1', LETHE_PROGRESS_SECONDS: '1', ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      o.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function runCli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  return startCli(args, { cwd, env });
}

/** The data flags every test uses: 1,200 training and 500 test images, seed 1. */
export const TINY = ['--train-size', '1200', '--test-size', '500', '--seed', '1'];

/** The one-line error message (last non-empty stderr line). */
export function errorLine(r: CliResult): string {
  return r.stderr.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';
}
