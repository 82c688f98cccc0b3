// The mask modes as plain data, without libtorch: the CLI's option help lists them at start-up.

/** The mask modes, in the order the help lists them (see MaskMode). */
export const MASK_MODES = ['update', 'grad'] as const;
/**
 * How a parameter group's masks act: 'update' freezes masked-out entries exactly (default); 'grad' only masks the
 * gradient, as the reference SalUn code did for the paper's numbers (weight decay and momentum still move them).
 */
export type MaskMode = (typeof MASK_MODES)[number];

/** Throws a TypeError naming both modes unless `value` is one. */
export function checkMaskMode(value: unknown, where: string): void {
  if (!(MASK_MODES as readonly unknown[]).includes(value)) {
    throw new TypeError(`${where}: maskMode must be 'update' (exact freeze) or 'grad' (reference SalUn: mask the gradient only), got ${String(value)}`);
  }
}
