// Tests build patterns from runtime text (paths, option values): this makes such text match literally.

/** `s` with every regular-expression metacharacter escaped. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
