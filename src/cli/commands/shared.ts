// Helpers the commands share: reading the data and recipe flags, running with Ctrl-C handling, printing.
import type { ModelName } from '../../models/index.js';
import { MODEL_NAMES } from '../../models/spec.js';
import { FLOAT32_MAX } from '../../torch/dtype.js';
import { PROTOCOL_RECIPE, type TrainRecipe } from '../../train/recipe.js';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { nearestExisting } from '../../io/atomic.js';
import { dataConfig, type DataConfig } from '../data.js';
import { flagName, parseKeyValues, required, scalarValue, type Opts } from '../options.js';
import { getMethod } from '../../unlearn/index.js';
import { makeReporter, type Reporter } from '../progress.js';
import { abortOnSignals } from '../signals.js';
import { recipeFrom } from '../training.js';
import { renderTable } from '../table.js';
import { EXTRA_DEFINITIONS } from '../results.js';

export function readDataConfig(o: Opts, seed: number): DataConfig {
  return dataConfig({
    data: o.string('data', 'fmnist'),
    dataDir: o.string('dataDir'),
    trainSize: o.int('trainSize', { min: 1 }),
    testSize: o.int('testSize', { min: 1 }),
    seed,
    // only train and import offer --val-fraction: bench and sweep follow the protocol's 10%
    valFraction: o.number('valFraction'),
  });
}

export function readModel(o: Opts, dflt: ModelName = 'resnet20'): ModelName {
  return o.choice('model', MODEL_NAMES, dflt);
}

/** The protocol recipe (PROTOCOL.md) with the flags' overrides. */
export function readTrainRecipe(o: Opts, base: Partial<TrainRecipe> = {}): TrainRecipe {
  const r: Partial<TrainRecipe> = { ...base };
  const epochs = o.int('epochs', { min: 1 });
  if (epochs !== undefined) r.epochs = epochs;
  const lr = o.positive('lr');
  if (lr !== undefined && lr > FLOAT32_MAX) throw new UsageError(`--lr: ${lr} is beyond float32's range (±3.4e38)`);
  if (lr !== undefined) r.lr = lr;
  const bs = o.int('batchSize', { min: 1 });
  if (bs !== undefined) r.batchSize = bs;
  const momentum = o.unitInterval('momentum');
  if (momentum !== undefined) r.momentum = momentum;
  const wd = o.number('weightDecay');
  if (wd !== undefined && !(wd >= 0 && wd <= FLOAT32_MAX)) throw new UsageError(`--weight-decay: must be ≥ 0 and within float32's range, got ${wd}`);
  if (wd !== undefined) r.weightDecay = wd;
  if (o.has('optimizer')) r.optimizer = o.choice('optimizer', ['sgd', 'adam'] as const, 'sgd');
  if (o.has('schedule')) r.schedule = o.choice('schedule', ['multistep', 'cosine', 'constant'] as const, PROTOCOL_RECIPE.schedule);
  if (o.has('milestones')) {
    const raw = o.raw['milestones'];
    const list = Array.isArray(raw) ? raw.map(Number) : String(raw).split(',').map((s) => Number(s.trim()));
    if (list.some((x, i) => !Number.isInteger(x) || x < 1 || (i > 0 && x <= list[i - 1]!))) throw new UsageError(`--milestones: expected increasing epochs like 10,15, got '${String(raw)}'`);
    r.milestones = list;
  }
  if (o.bool('augment')) r.augment = true;
  return recipeFrom(r);
}

export function readSeed(o: Opts, dflt = 1): number {
  return o.int('seed', { min: 0 }, dflt);
}

/** Runs a long command with a reporter and Ctrl-C → abort. */
export async function withRun<T>(o: Opts, fn: (ctx: { reporter: Reporter; signal: AbortSignal }) => Promise<T>): Promise<T> {
  const reporter = makeReporter({ quiet: o.bool('quiet') });
  const sig = abortOnSignals();
  try {
    return await fn({ reporter, signal: sig.signal });
  } finally {
    reporter.done();
    sig.dispose();
  }
}

export function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v, (_, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 2) + '\n');
}

export function print(text: string): void {
  process.stdout.write(text + '\n');
}

/** Converts an option value to the type of the method's default (so --opt epochs=3 is a number). */
function coerce(key: string, v: unknown, dflt: unknown): unknown {
  if (dflt === undefined) return v;
  if (typeof dflt === 'number' && typeof v === 'string') {
    const n = Number(v);
    // (Number('') is 0: `--opt momentum=` would set 0 without a word)
    if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--opt ${key}: expected a number, got '${v}'`);
    return n;
  }
  if (typeof dflt === 'string' && typeof v !== 'string') return String(v);
  if (typeof dflt === 'boolean' && typeof v === 'string') {
    if (v !== 'true' && v !== 'false') throw new UsageError(`--opt ${key}: expected true or false, got '${v}'`);
    return v === 'true';
  }
  return v;
}

/** The --opt flags, key=value or JSON objects, merged in order (values not yet typed). */
export function readOptFlags(o: Opts): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const text of o.list('opt')) {
    const kv = text.trim().startsWith('{') ? parseKeyValues(text, '--opt') : (() => {
      const eq = text.indexOf('=');
      if (eq <= 0) throw new UsageError(`--opt: '${text}' is not key=value or a JSON object`);
      return { [text.slice(0, eq).trim()]: scalarValue(text.slice(eq + 1).trim()) };
    })();
    Object.assign(out, kv);
  }
  return out;
}

/** `base` with each --opt applied, typed like the method's defaults; an option the method lacks is an error. */
export function withOptFlags(o: Opts, method: string, base: Record<string, unknown>): Record<string, unknown> {
  const defaults = getMethod(method).defaults as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(readOptFlags(o))) {
    if (!(k in defaults)) throw new UsageError(`--opt: method '${method}' has no option '${k}'; its options are ${Object.keys(defaults).join(', ')}`);
    out[k] = coerce(k, v, defaults[k]);
  }
  return out;
}

const isDirectory = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();

/** The real path of `path`, which may not exist yet: its nearest existing part's, with the rest. */
export function realPathOf(path: string): string {
  const p = resolve(path);
  const base = nearestExisting(p);
  return join(realpathSync(base), relative(base, p));
}

/** The command's inputs, each named by its flag: a checkpoint or results directory, or a file (null: not given). */
export type Inputs = readonly (readonly [flag: string, path: string | null | undefined])[];

/**
 * Inputs are never overwritten: an output (a directory or a file) that is one of the command's inputs, or lies inside
 * one, is a usage error before any work, whatever links lead there.
 */
export function refuseInputs(flag: string, out: string, inputs: Inputs): void {
  const o = realPathOf(out);
  for (const [inFlag, input] of inputs) {
    if (input === null || input === undefined) continue;
    const i = realPathOf(input);
    if (o === i) throw new UsageError(`${flag}: '${out}' is the ${inFlag} input; write the output elsewhere (inputs are never overwritten)`);
    if (o.startsWith(i + sep)) throw new UsageError(`${flag}: '${out}' lies inside the ${inFlag} input '${input}'; write the output elsewhere (inputs are never overwritten)`);
  }
}

/** --save-mask beside --mask-file would only copy the file the run reads: refused, as any flag without an effect. */
export function refuseSaveWithMaskFile(o: Opts): void {
  if (o.has('saveMask') && o.has('maskFile')) throw new UsageError('--save-mask: the mask comes from --mask-file, which is already a file; drop one of them');
}

/** A file a command reads, checked before any work: it exists and is a file (`what` says which file to give). */
export function inputFile(flag: string, path: string, what: string): string {
  const p = resolve(path);
  if (!existsSync(p)) throw new UsageError(`${flag}: '${p}' does not exist`);
  if (!statSync(p).isFile()) throw new UsageError(`${flag}: '${p}' is not a file; give ${what}`);
  return p;
}

/**
 * A file a command will write (--csv, --html, a PNG), checked before any work: its directory exists, it is not one,
 * and it is none of the command's inputs nor inside one.
 */
export function outputFile(flag: string, path: string, inputs: Inputs = []): string {
  const p = resolve(path);
  if (!isDirectory(dirname(p))) throw new UsageError(`${flag}: directory '${dirname(p)}' does not exist`);
  if (isDirectory(p)) throw new UsageError(`${flag}: '${p}' is a directory; give a file name`);
  refuseInputs(flag, p, inputs);
  return p;
}

/**
 * A directory a command will write (--out), checked before any work: a path taken by a file, or one whose nearest
 * existing directory takes no new entries (read-only, /proc), is a usage error now rather than after the training.
 */
export function outputDir(flag: string, path: string): string {
  const p = resolve(path);
  if (existsSync(p) && !isDirectory(p)) throw new UsageError(`${flag}: '${p}' is a file, not a directory; choose another ${flag}`);
  const base = nearestExisting(p);
  if (!isDirectory(base)) throw new UsageError(`${flag}: '${base}' is a file, so '${p}' cannot be made; choose another ${flag}`);
  try {
    // a real probe: permission bits say nothing of read-only mounts or pseudo file systems
    rmdirSync(mkdtempSync(join(base, '.lethe-probe-')));
  } catch (e) {
    throw new UsageError(`${flag}: cannot create anything in '${base}' (${(e as Error).message}); choose another ${flag}`);
  }
  return p;
}

/** A list of mask ratios (`--ratio 0.1,0.5`, or a config file's array): each in (0, 1], none repeated; default [0.5], SalUn's. */
export function readMaskRatios(o: Opts, key: string): number[] {
  const raw = o.raw[key];
  if (raw === undefined) return [0.5];
  const parts = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
  const ratios = parts.map((s) => Number(s.trim()));
  for (const [i, r] of ratios.entries()) {
    if (parts[i]!.trim() === '' || !(r > 0 && r <= 1)) throw new UsageError(`${flagName(key)}: each ratio must be in (0, 1], got '${parts[i]!.trim()}'`);
  }
  if (new Set(ratios).size !== ratios.length) throw new UsageError(`${flagName(key)}: '${String(raw)}' repeats a ratio`);
  return ratios;
}

/**
 * Where each ratio's mask goes: --out itself for one ratio, --out/with_<ratio>.safetensors (the SalUn reference's
 * names) for several, the directory made now. Checked before any work, as every output.
 */
export function maskOutputPaths(o: Opts, ratios: readonly number[], inputs: Inputs): string[] {
  const out = required(o, 'out', ratios.length === 1 ? 'the mask file to write' : 'the directory to write one mask per ratio into');
  if (ratios.length === 1) return [outputFile('--out', out, inputs)];
  const dir = outputDir('--out', out);
  refuseInputs('--out', dir, inputs);
  mkdirSync(dir, { recursive: true });
  return ratios.map((r) => outputFile('--out', join(dir, `with_${r}.safetensors`), inputs));
}

/** A trained or imported model's accuracy on each part of the data, and the memorisation gap with its definition. */
export function printAccuracy(acc: { train: number; val: number | null; test: number }): void {
  print(
    renderTable(
      ['split', 'accuracy (%)'],
      [
        ['train', acc.train],
        ['validation', acc.val ?? NaN], // none with --val-fraction 0
        ['test', acc.test],
        ['memorisation gap', acc.train - acc.test],
      ],
    ),
  );
  print(`memorisation gap: ${EXTRA_DEFINITIONS['memorisationGap']}`);
}
