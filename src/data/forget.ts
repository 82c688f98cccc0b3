// Forget sets: which training samples D_f the model must forget; the rest of the training set is D_r.
//
// Spec strings (the CLI's --forget):
//   random:0.1    a fraction of the training set (also random:10%), chosen uniformly without replacement
//   random:5400   a count of samples, chosen the same way
//   class:3       every training sample of class 3; class:3,7 for several classes
//   indices:FILE  the training indices listed in FILE (a JSON array, or integers separated by whitespace/commas)
//
// Indices are positions in the training set handed to selectForgetSet (after the validation split, as the
// reference's indices among its 45,000 CIFAR-10 training images). Random selection uses
// Rng(deriveSeed(seed, 'forget')), the same user seed as the split (deriveSeed(seed, 'split')) but an independent
// stream. Pass the seed the original model was trained with: the reference code's split-seed mismatch (≈10% of its
// forget samples never trained on) is what this avoids.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Rng, deriveSeed, type Seed } from './random.js';
import { labelValues } from './split.js';

/**
 * A parsed forget-set spec: a random fraction or count of the training set, whole classes, or indices read from a file.
 */
export type ForgetSpec =
  | { kind: 'random'; fraction: number }
  | { kind: 'random'; count: number }
  | { kind: 'class'; classes: number[] }
  | { kind: 'indices'; file: string };

/** What selectForgetSet returns: D_f and D_r as indices into the training labels it was given. */
export interface ForgetSelection {
  /** training indices to forget (D_f), ascending */
  forget: Int32Array;
  /** the other training indices (D_r), ascending */
  retain: Int32Array;
  /** the forgotten classes, for class-wise specs (evaluation drops them from the test set) */
  classes?: number[];
  /** a one-line human description, printed with results */
  description: string;
}

const SPEC_HELP = "expected 'random:0.1', 'random:10%', 'random:5400', 'class:3', 'class:3,7' or 'indices:FILE'";

/** Parses a forget-set spec string; throws a clear error on anything malformed. */
export function parseForgetSpec(spec: string): ForgetSpec {
  const colon = spec.indexOf(':');
  if (colon < 0) throw new Error(`forget spec '${spec}': missing ':'; ${SPEC_HELP}`);
  const kind = spec.slice(0, colon).trim();
  const arg = spec.slice(colon + 1).trim();
  if (arg === '') throw new Error(`forget spec '${spec}': nothing after '${kind}:'; ${SPEC_HELP}`);
  switch (kind) {
    case 'random': {
      if (arg.endsWith('%')) {
        const pct = strictNumber(arg.slice(0, -1));
        if (pct === null) throw new Error(`forget spec '${spec}': '${arg}' is not a percentage`);
        return { kind: 'random', fraction: checkFraction(pct / 100, spec) };
      }
      const v = strictNumber(arg);
      if (v === null) throw new Error(`forget spec '${spec}': '${arg}' is neither a fraction in (0, 1) nor a sample count`);
      if (/^[0-9]+$/.test(arg)) {
        if (v < 1) throw new Error(`forget spec '${spec}': a count of 0 samples selects an empty forget set`);
        return { kind: 'random', count: v };
      }
      // '5.' or '5400.0' is neither: a count is written as a whole number, a fraction lies below 1
      if (v >= 1) throw new Error(`forget spec '${spec}': '${arg}' is not a count (write a whole number, like 5400) nor a fraction in (0, 1)`);
      return { kind: 'random', fraction: checkFraction(v, spec) };
    }
    case 'class': {
      const parts = arg.split(',').map((s) => s.trim());
      const classes: number[] = [];
      for (const p of parts) {
        if (!/^[0-9]+$/.test(p)) throw new Error(`forget spec '${spec}': '${p}' is not a class number (non-negative integer)`);
        const c = Number(p);
        if (classes.includes(c)) throw new Error(`forget spec '${spec}': class ${c} is listed twice`);
        classes.push(c);
      }
      return { kind: 'class', classes };
    }
    case 'indices':
      return { kind: 'indices', file: arg };
    default:
      throw new Error(`forget spec '${spec}': unknown kind '${kind}'; ${SPEC_HELP}`);
  }
}

/** The spec back as a string (parseForgetSpec(formatForgetSpec(s)) deep-equals s). */
export function formatForgetSpec(spec: ForgetSpec): string {
  switch (spec.kind) {
    case 'random':
      return 'fraction' in spec ? `random:${spec.fraction}` : `random:${spec.count}`;
    case 'class':
      return `class:${spec.classes.join(',')}`;
    case 'indices':
      return `indices:${spec.file}`;
  }
}

function strictNumber(s: string): number | null {
  if (!/^[+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(s)) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

function checkFraction(f: number, spec: string): number {
  if (!(f > 0 && f < 1)) throw new Error(`forget spec '${spec}': a fraction must be in (0, 1) (exclusive), got ${f}`);
  return f;
}

/** Options of selectForgetSet. */
export interface SelectForgetOptions {
  /** the split seed (the one the original model's training split used) */
  seed: Seed;
  /** number of classes (default: max label + 1); class specs are checked against it */
  numClasses?: number;
  /** class names, for descriptions */
  classNames?: readonly string[];
  /** directory that relative `indices:FILE` paths are resolved against (default: the working directory) */
  baseDir?: string;
}

/**
 * Selects D_f from the training labels according to the spec (a string or a parsed spec). Random rule: with
 * N = |train| and k = round(fraction · N) (or the count), D_f = the first k draws of a partial Fisher–Yates
 * shuffle of 0 … N−1 with Rng(deriveSeed(seed, 'forget')), sorted. Errors on an empty forget set, a forget set
 * equal to the whole training set, and out-of-range or duplicate indices.
 */
export function selectForgetSet(spec: ForgetSpec | string, trainLabels: Int32Array | Uint8Array | readonly number[], o: SelectForgetOptions): ForgetSelection {
  const s = typeof spec === 'string' ? parseForgetSpec(spec) : spec;
  const text = formatForgetSpec(s);
  const labels = labelValues(trainLabels, `forget spec '${text}'`);
  const n = labels.length;
  if (n === 0) throw new Error(`forget spec '${text}': the training set is empty`);
  let maxLabel = -1;
  for (const y of labels) maxLabel = Math.max(maxLabel, y);
  const numClasses = o.numClasses ?? maxLabel + 1;
  if (maxLabel >= numClasses) throw new RangeError(`forget spec '${text}': training label ${maxLabel} is out of range for ${numClasses} classes`);

  const isForget = new Uint8Array(n);
  let description: string;
  let classes: number[] | undefined;
  switch (s.kind) {
    case 'random': {
      const k = 'fraction' in s ? Math.round(checkFraction(s.fraction, text) * n) : s.count;
      if (!Number.isInteger(k) || k < 1) throw new Error(`forget spec '${text}': selects ${k} of ${n} training samples; the forget set would be empty`);
      if (k >= n) throw new RangeError(`forget spec '${text}': ${k} samples is not fewer than the ${n} in the training set; something must be retained`);
      const rng = new Rng(deriveSeed(o.seed, 'forget'));
      for (const i of rng.sample(n, k)) isForget[i] = 1;
      const pct = 'fraction' in s ? `${+(s.fraction * 100).toFixed(4)}% = ` : '';
      description = `random ${pct}${k} of ${n} training samples (seed ${String(o.seed)})`;
      break;
    }
    case 'class': {
      if (s.classes.length === 0) throw new Error(`forget spec '${text}': no classes given`);
      const seen = new Set<number>();
      for (const c of s.classes) {
        if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new RangeError(`forget spec '${text}': class ${c} is out of range [0, ${numClasses})`);
        if (seen.has(c)) throw new Error(`forget spec '${text}': class ${c} is listed twice`);
        seen.add(c);
      }
      const counts = new Map<number, number>(s.classes.map((c) => [c, 0]));
      for (let i = 0; i < n; i++) {
        const y = labels[i]!;
        if (seen.has(y)) {
          isForget[i] = 1;
          counts.set(y, counts.get(y)! + 1);
        }
      }
      for (const [c, count] of counts) {
        if (count === 0) throw new Error(`forget spec '${text}': class ${c} has no training samples; the forget set would miss it`);
      }
      classes = [...s.classes].sort((a, b) => a - b);
      const named = classes.map((c) => (o.classNames?.[c] === undefined ? `${c}` : `${c} (${o.classNames[c]})`));
      description = `class${classes.length > 1 ? 'es' : ''} ${named.join(', ')}: ${[...counts.values()].reduce((a, b) => a + b, 0)} of ${n} training samples`;
      break;
    }
    case 'indices': {
      const path = resolve(o.baseDir ?? process.cwd(), s.file);
      const list = readIndexFile(path, text);
      for (let j = 0; j < list.length; j++) {
        const i = list[j]!;
        if (i >= n) throw new RangeError(`forget spec '${text}': index ${i} (entry ${j} of ${path}) is out of range [0, ${n}) for this training set`);
        if (isForget[i]) throw new Error(`forget spec '${text}': index ${i} appears more than once in ${path} (again at entry ${j})`);
        isForget[i] = 1;
      }
      if (list.length === 0) throw new Error(`forget spec '${text}': ${path} lists no indices; the forget set would be empty`);
      if (list.length === n) throw new RangeError(`forget spec '${text}': ${path} lists all ${n} training samples; something must be retained`);
      description = `${list.length} of ${n} training samples listed in ${path}`;
      break;
    }
  }
  let nForget = 0;
  for (const f of isForget) nForget += f;
  if (nForget === n) throw new RangeError(`forget spec '${text}': selects all ${n} training samples; something must be retained`);
  const forget = new Int32Array(nForget);
  const retain = new Int32Array(n - nForget);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (isForget[i]) forget[a++] = i;
    else retain[b++] = i;
  }
  return { forget, retain, ...(classes === undefined ? {} : { classes }), description };
}

/** Reads a JSON array of integers, or integers separated by whitespace and/or commas. */
function readIndexFile(path: string, text: string): number[] {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`forget spec '${text}': cannot read the index file: ${(e as Error).message}`);
  }
  const trimmed = content.trim();
  let tokens: unknown[];
  if (trimmed.startsWith('[')) {
    try {
      tokens = JSON.parse(trimmed) as unknown[];
    } catch (e) {
      throw new Error(`forget spec '${text}': ${path} starts with '[' but is not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(tokens)) throw new Error(`forget spec '${text}': ${path} must hold a JSON array of integers`);
  } else {
    tokens = trimmed === '' ? [] : trimmed.split(/[\s,]+/).filter((t) => t !== '');
  }
  return tokens.map((t, j) => {
    const v = typeof t === 'string' && /^[0-9]+$/.test(t) ? Number(t) : typeof t === 'number' ? t : NaN;
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new Error(`forget spec '${text}': entry ${j} of ${path} ('${String(t)}') is not a non-negative integer index`);
    }
    return v;
  });
}

/** Indices of the samples whose label is not in `classes` (class-wise runs drop the forgotten classes from the test set). */
export function indicesWithoutClasses(labels: Int32Array | Uint8Array | readonly number[], classes: readonly number[]): Int32Array {
  const drop = new Set(classes);
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) if (!drop.has(labels[i]!)) out.push(i);
  return Int32Array.from(out);
}
