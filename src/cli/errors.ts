// How the CLI turns errors into one clear line and an exit code: 2 for bad usage (the user can fix the command),
// 1 for a failure while running (diverged training, corrupt checkpoint, ...), 130 for an interruption (Ctrl-C).
import { printable } from '../io/printable.js';

/** A mistake in the command line or its inputs: unknown flag or method, bad value, missing file. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The run was stopped (SIGINT/SIGTERM); outputs are consistent and a rerun resumes. Exit code 130. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** True for the error an AbortSignal throws (fit, unlearn and the loaders all use signal.throwIfAborted()). */
export function isAbortError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e instanceof InterruptedError);
}

export function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError) return EXIT_USAGE;
  if (isAbortError(e)) return EXIT_INTERRUPTED;
  return EXIT_FAILURE;
}

/** One line for the terminal: the message without the error class, and never a stack (unless LETHE_DEBUG=1). */
export function describeError(e: unknown): string {
  if (process.env['LETHE_DEBUG'] === '1' && e instanceof Error && e.stack) return e.stack;
  if (isAbortError(e)) return 'interrupted: nothing partial was left looking complete; rerun the same command to resume';
  const msg = e instanceof Error ? e.message : String(e);
  // what a message quotes from a damaged input (a JSON fragment, a name) must not move the terminal's cursor
  return printable(msg.split('\n')[0]!.trim());
}
