// Argument checks shared by the layers: bad options fail at construction with a message naming the layer.

export function checkPositiveInt(layer: string, what: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${layer}: ${what} must be a positive integer, got ${v}`);
  return v;
}

export function checkNonNegativeInt(layer: string, what: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${layer}: ${what} must be a non-negative integer, got ${v}`);
  return v;
}

/** A size given once for both spatial dims (3) or as [height, width]. */
export type Pair = number | readonly [number, number];

/** Normalises `3` or `[3, 3]` to a pair, checking each entry. */
export function toPair(layer: string, what: string, v: Pair, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!Array.isArray(v) && typeof v !== 'number') throw new TypeError(`${layer}: ${what} must be a number or a pair of numbers`);
  for (const x of p) {
    if (!Number.isInteger(x) || x < min) throw new RangeError(`${layer}: ${what} must be integer(s) >= ${min}, got ${JSON.stringify(v)}`);
  }
  return p;
}

/** The shape as PyTorch prints it in error messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
