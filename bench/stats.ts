// Small statistics and argv helpers shared by the benchmark scripts.

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('mean of an empty list');
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * Reads `--name value` integer options from argv. Unknown options are an error (a typo must not silently run
 * the default benchmark), as is a value that is not a positive integer (or zero where allowed).
 */
export function intOptions<D extends { [K in keyof D]: number | undefined }>(
  argv: readonly string[],
  defaults: D,
  allowZero: readonly NoInfer<keyof D>[] = [],
): D {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2) : '';
    if (!(name in defaults)) {
      throw new Error(`unknown option '${a}'; known options: ${Object.keys(defaults).map((k) => `--${k}`).join(', ')}`);
    }
    const raw = argv[++i];
    const v = Number(raw);
    const min = allowZero.includes(name as keyof D) ? 0 : 1;
    if (raw === undefined || !Number.isInteger(v) || v < min) {
      throw new Error(`option ${a} needs an integer >= ${min}, got ${raw === undefined ? 'nothing' : `'${raw}'`}`);
    }
    (out as Record<string, number | undefined>)[name] = v;
  }
  return out;
}

/**
 * Reads `--name value` pairs from argv as text, for scripts whose options are not all integers. A name not in `known`
 * is an error, as in intOptions (a typo must not silently run the default); so is a flag without a value. `usage`
 * is the script's one-line synopsis, printed with the error.
 */
export function textOptions(argv: readonly string[], known: readonly string[], usage: string): Partial<Record<string, string>> {
  const out: Partial<Record<string, string>> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2) : '';
    if (!known.includes(name) || argv[i + 1] === undefined) throw new Error(`usage: ${usage}; got '${a}'${known.includes(name) ? ' without a value' : ''}`);
    out[name] = argv[i + 1]!;
  }
  return out;
}
