// A method's options: the user's over the method's defaults, each checked against the default's type and range
// before anything is built (a typo or a NaN is refused by name, not discovered mid-run).
import { FLOAT32_MAX } from '../torch/index.js';
import { getMethod } from './registry.js';
import type { CommonOptions, MethodDefinition } from './method.js';

/** Merges user options over a method's defaults, rejecting unknown names and mistyped values. */
export function resolveOptions<O extends CommonOptions>(method: string, defaults: O, given: Record<string, unknown> = {}): O {
  const out: Record<string, unknown> = { ...(defaults as object) };
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    // (own keys only: `constructor` or `__proto__` are no method's options)
    if (!Object.hasOwn(defaults, k)) throw new Error(`method '${method}' has no option '${k}'; its options are ${Object.keys(defaults).join(', ')}`);
    const expected = typeof (defaults as unknown as Record<string, unknown>)[k];
    if (typeof v !== expected) throw new TypeError(`method '${method}': option '${k}' must be a ${expected}, got ${JSON.stringify(v)}`);
    if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`method '${method}': option '${k}' must be finite`);
    // (libtorch's float32 kernels cannot take a larger learning rate, decay or scale: its error would name no option)
    if (typeof v === 'number' && Math.abs(v) > FLOAT32_MAX) throw new RangeError(`method '${method}': option '${k}' is ${v}, beyond float32's range (±3.4e38)`);
    out[k] = v;
  }
  for (const k of ['epochs', 'batchSize'] as const) {
    const v = out[k] as number;
    if (!Number.isInteger(v) || v < (k === 'epochs' ? 0 : 1)) throw new RangeError(`method '${method}': ${k} must be a ${k === 'epochs' ? 'non-negative' : 'positive'} integer, got ${v}`);
  }
  const o = out as unknown as O;
  // (a method without steps, IU, has no learning rate: its default is 0)
  if (defaults.lr > 0 && !(o.lr > 0)) throw new RangeError(`${method}: lr must be positive, got ${o.lr}`);
  if (!(o.momentum >= 0 && o.momentum < 1)) throw new RangeError(`${method}: momentum must be in [0, 1), got ${o.momentum}`);
  if (!(o.weightDecay >= 0)) throw new RangeError(`${method}: weightDecay must be ≥ 0, got ${o.weightDecay}`);
  // the method's own options, checked now rather than after the blocks are built
  (getMethod(method) as unknown as MethodDefinition<O>).check?.(o);
  return o;
}
