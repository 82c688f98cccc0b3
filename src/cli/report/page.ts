// What every Lethe HTML report shares: escaping, the stylesheet, tables and the page around them, so the
// classifier and the diffusion reports look alike. Pages are self-contained: no scripts, no external resources.

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const STYLE = `
body { font-family: system-ui, -apple-system, 'DejaVu Sans', sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table.results { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.results th, table.results td { padding: 0.3rem 0.7rem; border-bottom: 1px solid #eee; text-align: right; }
table.results th:first-child, table.results td:first-child { text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; } .chart { margin: 0.5rem 0; }
.grids { display: flex; flex-wrap: wrap; gap: 1.5rem; } figure.grid { margin: 0.5rem 0; }
figure.grid img { image-rendering: pixelated; } figure.grid figcaption { font-size: 0.85rem; max-width: 24rem; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; }
dl dt { font-weight: 600; } dl dd { margin: 0 0 0.5rem 1rem; }
`;

/** A results table: the first column left-aligned (names), the others right-aligned (numbers). */
export function htmlTable(id: string, header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `<table class="results" id="${esc(id)}">`,
    `<thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
}

/** The whole document; `title` is escaped here, `body` is HTML already. */
export function htmlPage(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
${body}
</body>
</html>
`;
}
