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
 * Walks `--name value` pairs of argv: each name checked against `known` (unknown: the message from `unknown`), each
 * value as given (undefined when the flag ends argv). intOptions and textOptions read argv through it.
 */
function optionPairs(argv: readonly string[], known: readonly string[], unknown: (flag: string) => string): { flag: string; name: string; raw: string | undefined }[] {
  const pairs: { flag: string; name: string; raw: string | undefined }[] = [];
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const name = flag.startsWith('--') ? flag.slice(2) : '';
    if (!known.includes(name)) throw new Error(unknown(flag));
    pairs.push({ flag, name, raw: argv[i + 1] });
  }
  return pairs;
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
  const known = Object.keys(defaults);
  for (const { flag, name, raw } of optionPairs(argv, known, (a) => `unknown option '${a}'; known options: ${known.map((k) => `--${k}`).join(', ')}`)) {
    const v = Number(raw);
    const min = allowZero.includes(name as keyof D) ? 0 : 1;
    if (raw === undefined || !Number.isInteger(v) || v < min) {
      throw new Error(`option ${flag} needs an integer >= ${min}, got ${raw === undefined ? 'nothing' : `'${raw}'`}`);
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
  for (const { flag, name, raw } of optionPairs(argv, known, (a) => `usage: ${usage}; got '${a}'`)) {
    if (raw === undefined) throw new Error(`usage: ${usage}; got '${flag}' without a value`);
    out[name] = raw;
  }
  return out;
}

/** An integer option read by textOptions: `fallback` when absent, an error naming the flag when not an integer ≥ min. */
export function integerOption(o: Partial<Record<string, string>>, key: string, fallback: number, min: number): number {
  const v = Number(o[key] ?? fallback);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${key} must be an integer ≥ ${min}, got '${o[key]}'`);
  return v;
}
