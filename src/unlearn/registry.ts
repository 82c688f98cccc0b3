// Methods registered by name.
import type { CommonOptions, MethodDefinition } from './method.js';
import { deepFreeze } from '../util/options.js';

const methods = new Map<string, MethodDefinition<CommonOptions>>();

/** Adds a method under its name (an error if the name is taken); its definition is frozen from then on. */
export function registerMethod<O extends CommonOptions>(m: MethodDefinition<O>): void {
  if (methods.has(m.name)) throw new Error(`unlearning method '${m.name}' is already registered`);
  // (every run starts from these defaults: a caller's edit would change them for all later runs)
  methods.set(m.name, deepFreeze(m) as unknown as MethodDefinition<CommonOptions>);
}

/** A registered method's definition: its defaults, blocks, reference and run(); an error lists the known names. */
export function getMethod(name: string): MethodDefinition<CommonOptions> {
  const m = methods.get(name);
  if (m === undefined) throw new Error(`unknown unlearning method '${name}'; known methods: ${[...methods.keys()].join(', ')}`);
  return m;
}

/** The registered methods' names, in registration order. */
export function methodNames(): string[] {
  return [...methods.keys()];
}
