// The positions from..to−1 as an Int32Array: the identity order a loader, sampler or curriculum starts from
// before it shuffles, sorts or filters, and the index list of "all samples" a DataLoader takes.

/** The integers from, from + 1, …, to − 1 (empty when to ≤ from). Both bounds must be safe integers. */
export function range(from: number, to: number): Int32Array {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new RangeError(`range: bounds must be integers, got ${from} and ${to}`);
  const out = new Int32Array(Math.max(0, to - from));
  for (let i = 0; i < out.length; i++) out[i] = from + i;
  return out;
}
