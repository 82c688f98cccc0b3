// Methods registered by name.
import type { CommonOptions, MethodDefinition } from './method.js';
import { deepFreeze } from '../util/options.js';

const methods = new Map<string, MethodDefinition<CommonOptions>>();

export function registerMethod<O extends CommonOptions>(m: MethodDefinition<O>): void {
  if (methods.has(m.name)) throw new Error(`unlearning method '${m.name}' is already registered`);
  // (every run starts from these defaults: a caller's edit would change them for all later runs)
  methods.set(m.name, deepFreeze(m) as unknown as MethodDefinition<CommonOptions>);
}

export function getMethod(name: string): MethodDefinition<CommonOptions> {
  const m = methods.get(name);
  if (m === undefined) throw new Error(`unknown unlearning method '${name}'; known methods: ${[...methods.keys()].join(', ')}`);
  return m;
}

export function methodNames(): string[] {
  return [...methods.keys()];
}
