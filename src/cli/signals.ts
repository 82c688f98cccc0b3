// Ctrl-C (SIGINT) and SIGTERM abort the running command through an AbortController: fit() and unlearn() check
// the signal between batches and throw, the command's writes are atomic (manifest last), and main() exits 130.
// A second Ctrl-C exits at once.

export function abortOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      process.stderr.write(`\n${sig}: stopping after the current batch (press Ctrl-C again to quit at once)\n`);
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
