// The sample grids a diffusion report embeds, read from the results directory and checked to be PNG files, so a
// missing or damaged grid is one clear message (which file, and that rerunning the benchmark redraws it) rather
// than a broken image in the page.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pngSize } from '../../diffusion/png.js';
import type { DiffusionResultsDoc } from '../../diffusion/results.js';
import { UsageError } from '../errors.js';

export interface GridImage {
  /** the file name as results.json gives it */
  file: string;
  png: Uint8Array;
  width: number;
  height: number;
}

const rerun = (dir: string): string => `rerun the diffusion benchmark (node dist/bench/diffusion/run.js --out ${dir}; finished stages are cached) to draw it again`;

/** Every row's grid, keyed by model; rows without a grid have no entry. */
export function readGrids(dir: string, doc: DiffusionResultsDoc): Map<string, GridImage> {
  const grids = new Map<string, GridImage>();
  for (const row of doc.rows) {
    if (row.grid === null) continue;
    const path = join(dir, row.grid);
    if (!existsSync(path)) throw new UsageError(`report: the sample grid of '${row.model}', '${path}', is missing; ${rerun(dir)}`);
    let png: Uint8Array;
    try {
      png = readFileSync(path);
    } catch (e) {
      throw new Error(`report: cannot read the sample grid of '${row.model}', '${path}' (${(e as Error).message}); ${rerun(dir)}`);
    }
    const size = pngSize(png);
    if (size === null) throw new Error(`report: the sample grid of '${row.model}', '${path}', is not a PNG file; ${rerun(dir)}`);
    grids.set(row.model, { file: row.grid, png, ...size });
  }
  return grids;
}
