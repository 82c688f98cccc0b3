// Plain-text tables for the terminal and CSV for files.

export type Cell = string | number;

/** Left-aligns the first column, right-aligns the others; `│`-free so it pastes cleanly. */
export function renderTable(header: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  // numbers (and "mean ± std", percentages, '-') right-aligned; text left-aligned
  const numeric = header.map((_, i) => i > 0 && text.every((r) => /^(-|[-+]?[\d.]+( ± [\d.]+)?%?)$/.test(r[i] ?? '-')));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)].join('\n');
}

export function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

export function fmtMeanStd(m: { mean: number; std: number } | undefined, digits = 2): string {
  if (m === undefined || !Number.isFinite(m.mean)) return '-';
  return `${m.mean.toFixed(digits)} ± ${Number.isFinite(m.std) ? m.std.toFixed(digits) : '-'}`;
}

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}
