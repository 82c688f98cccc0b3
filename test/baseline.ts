// The baseline of a memory assertion. Tensor handles are freed by their finalizers inside any garbage collection
// (native/handles: basic finalizers), so a tensor that earlier code left to the collector can vanish between a
// baseline and its check, and memory() would drop below a baseline it should equal. baselineMemory() collects the
// garbage first, so the baseline counts only owned tensors; the checks stay plain memory() calls, so a tensor the
// measured code leaves to the collector is still seen.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { memory } from '../src/index.js';

// V8's gc() without --expose-gc on the command line: a context created after the flag is set has it
setFlagsFromString('--expose-gc');
/** A full garbage collection, now (finalizers included). */
export const gc = runInNewContext('gc') as () => void;

/** memory() after a full garbage collection (whose finalizers free every unreachable tensor). */
export function baselineMemory(): ReturnType<typeof memory> {
  gc();
  return memory();
}
