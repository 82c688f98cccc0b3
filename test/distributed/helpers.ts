// Running small multi-process jobs from tests: a worker script under ./workers, launched on 127.0.0.1.
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { launch, startLaunch, type LaunchJob, type LaunchOptions, type LaunchResult } from '../../src/distributed/launch.js';

/** The compiled path of a worker script (dist/test/distributed/workers/<name>.js). */
export function workerPath(name: string): string {
  return fileURLToPath(new URL(`./workers/${name}.js`, import.meta.url));
}

/** Collects a job's prefixed output in memory (tests keep their own output clean). */
export function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

type JobOptions = Omit<LaunchOptions, 'entry' | 'stdout' | 'stderr'>;

export async function runJob(name: string, o: JobOptions): Promise<LaunchResult & { output: string }> {
  const out = capture();
  try {
    const r = await launch({ ...o, entry: workerPath(name), stdout: out.stream, stderr: out.stream });
    return { ...r, output: out.text() };
  } catch (e) {
    (e as Error).message += `\n--- job output ---\n${out.text()}`;
    throw e;
  }
}

export async function startJob(name: string, o: JobOptions): Promise<{ job: LaunchJob; output: () => string }> {
  const out = capture();
  const job = await startLaunch({ ...o, entry: workerPath(name), stdout: out.stream, stderr: out.stream });
  return { job, output: out.text };
}
