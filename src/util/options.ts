// Checks for the options objects of the public API. They are plain JS objects, so a misspelt key (`{ epoch: 1 }`,
// `{ ratoi: 0.1 }`) would be ignored and the default run without a word, and a misspelt choice ('DDPM') would
// select another branch of an if: every entry point that takes settings checks names and choices with these.

/**
 * A categorical option, checked: its value narrowed to the choices, or an error that names them all and what was
 * given (`where: key must be 'a', 'b' or 'c', got 'x'`); `notes` adds a word after a choice, e.g. 'the reference'.
 */
export function oneOf<T extends string>(where: string, key: string, value: unknown, choices: readonly T[], notes: Partial<Record<T, string>> = {}): T {
  if ((choices as readonly unknown[]).includes(value)) return value as T;
  const named = choices.map((c) => `'${c}'${notes[c] === undefined ? '' : ` (${notes[c]})`}`);
  const list = named.length === 1 ? named[0]! : `${named.slice(0, -1).join(', ')} or ${named[named.length - 1]!}`;
  throw new RangeError(`${where}: ${key} must be ${list}, got '${String(value)}'`);
}

/**
 * Refuses keys of `given` that `known` does not list, naming the key and the accepted ones. Keys set to undefined
 * pass (optional fields spread from elsewhere), and so does a missing object.
 */
export function refuseUnknownKeys(where: string, given: object | null | undefined, known: readonly string[]): void {
  if (given === undefined || given === null) return;
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined || known.includes(k)) continue;
    throw new Error(`${where}: unknown option '${k}'; the options are ${known.join(', ')}`);
  }
}

/**
 * Freezes a defaults object and everything inside it, and returns it: exported defaults are read by every later
 * run, so a caller's `PROTOCOL_RECIPE.epochs = 1` must fail (in strict mode) rather than change them for everyone.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
