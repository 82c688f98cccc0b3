// A child process spoken to line by line: write a command to its stdin, await its next stdout line.
// Used by cnn-step-compare to drive the C++ and Lethe step servers in lockstep.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export class ChildLineChannel {
  private readonly proc: ChildProcess;
  private readonly pending: string[] = [];
  private readonly waiters: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  private stderr = '';
  private exited: Error | null = null;

  constructor(
    readonly what: string,
    cmd: string,
    args: readonly string[],
    opts: { cwd: string; env: NodeJS.ProcessEnv },
  ) {
    this.proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
    });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      const w = this.waiters.shift();
      if (w) w.resolve(line);
      else this.pending.push(line);
    });
    const fail = (why: string): void => {
      this.exited = new Error(`${what}: ${why}${this.stderr ? `\n${this.stderr}` : ''}`);
      for (const w of this.waiters.splice(0)) w.reject(this.exited);
    };
    this.proc.on('error', (e) => fail(`could not start ${cmd}: ${e.message}`));
    // 'close' (not 'exit') so that stderr is complete when the error is built.
    this.proc.on('close', (code, signal) => fail(`exited (${code ?? signal}) before answering`));
  }

  /** The next stdout line; rejects if the child has exited. */
  next(): Promise<string> {
    const line = this.pending.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The next line that starts with `prefix ` (other lines are diagnostics), without the prefix. */
  async expect(prefix: string): Promise<string> {
    for (;;) {
      const line = await this.next();
      if (line.startsWith(`${prefix} `)) return line.slice(prefix.length + 1);
    }
  }

  send(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  /** Sends QUIT and waits for the child's `DONE {json}` line and exit. */
  async quit(): Promise<unknown> {
    this.send('QUIT');
    const done = JSON.parse(await this.expect('DONE')) as unknown;
    this.proc.stdin!.end();
    if (this.proc.exitCode === null) await new Promise((r) => this.proc.once('close', r));
    return done;
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill();
  }
}
