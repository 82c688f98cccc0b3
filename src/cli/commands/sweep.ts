// lethe sweep: the papers' tuning procedure for one method — a log-spaced grid of one option (the learning
// rate, or the method's own tuned option such as IU's alpha) on one seed or the mean over several, scored by
// Avg.Gap against the retrain reference (both models from bench's cache) — writing the winner as the scenario's recipe
// (recipes/<method>.json, or recipes/class-wise/<method>.json) with "tuned": true and the whole sweep inside it.
// Resumable like bench: every finished (value, seed) trial is a file in <out>/trials/, and a rerun skips it.
import { writeJsonAtomic } from '../../io/artifacts.js';
import { existsSync, readdirSync } from 'node:fs';
import { ensureDirectory } from '../../io/atomic.js';
import { basename, dirname, join, resolve } from 'node:path';
import { loadCheckpoint } from '../../train/checkpoint.js';
import { evaluateUnlearningAsync } from '../../eval/evaluate.js';
import { ensureModels, REFERENCE_METHODS, seedModelDirs } from '../bench.js';
import { keptReference, madeWith, readRunRecord, readStoredRun, runHash, runOrDiverge, runRecord, storedReference, storeRun } from '../run-store.js';
import { cacheDir } from '../cache.js';
import { canonicalForget, loadData, protocolSets, seedsDescription, type LoadedData, type ProtocolSets } from '../data.js';
import { HEADLINE_KEYS, meanStd, type HeadlineMetrics } from '../../eval/gap.js';
import type { ModelDigests, RunRecord } from '../results.js';
import { UsageError } from '../errors.js';
import { Opts, required } from '../options.js';
import { parseRecipeJson, recipeFile, recipeForMethod, recipeScenario, recipeSettings, recipesDir, type BlocksSetting, type UnlearnRecipe } from '../recipes.js';
import { BLOCK_SETTINGS, getMethod, resolveOptions } from '../../unlearn/index.js';
import { fmt, renderTable } from '../table.js';
import { isJobWorker, runCommandJobs } from '../job-pool.js';
import { trainModelsInJobs } from '../bench-jobs.js';
import { checkMethod, runMethod } from '../unlearning.js';
import { gridEdge, SWEEP_BY, sweepScore, sweepWinner, type GridValue } from '../sweep-winner.js';
import { outputDir, print, printJson, readDataConfig, readModel, readSeed, readOptFlags, readTrainRecipe, withOptFlags, withRun } from './shared.js';

export function logGrid(from: number, to: number, points: number): number[] {
  const a = Math.log10(from);
  const b = Math.log10(to);
  // three significant digits, so that grid values read well in recipes and match across sweeps
  if (points === 1) return [Number((10 ** ((a + b) / 2)).toPrecision(3))];
  return Array.from({ length: points }, (_, i) => Number((10 ** (a + ((b - a) * i) / (points - 1))).toPrecision(3)));
}

function parseRange(text: string, flag: string): [number, number] {
  const m = /^([^:]+):([^:]+)$/.exec(text);
  const a = m ? Number(m[1]) : NaN;
  const b = m ? Number(m[2]) : NaN;
  if (!(a > 0 && b > a)) throw new UsageError(`${flag}: expected FROM:TO with 0 < FROM < TO, e.g. 1e-3:5e-2, got '${text}'`);
  return [a, b];
}

const SWITCH_VALUES: Record<string, boolean> = { true: true, false: false };

/**
 * `--values a,b,c` for a setting whose recipe value is `current`: numbers when it is a number, booleans when it is one
 * (or, unset, when every item is a number, or every item true or false), strings otherwise; no duplicates, at least one.
 */
export function parseValues(text: string, current: unknown): GridValue[] {
  const items = text.split(',').map((v) => v.trim());
  if (items.some((v) => v === '')) throw new UsageError(`--values: expected a comma-separated list like 0.3,0.45,0.6 or reference,weighted, got '${text}'`);
  const kind =
    current === undefined
      ? items.every((v) => Number.isFinite(Number(v)))
        ? 'number'
        : items.every((v) => v in SWITCH_VALUES)
          ? 'boolean'
          : 'string'
      : typeof current;
  const values = items.map((v): GridValue => {
    if (kind === 'boolean') {
      if (!(v in SWITCH_VALUES)) throw new UsageError(`--values: '${v}' is neither true nor false, and the option is a switch`);
      return SWITCH_VALUES[v]!;
    }
    if (kind !== 'number') return v;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--values: '${v}' is not a number, and the option is numeric`);
    return n;
  });
  if (new Set(values).size !== values.length) throw new UsageError(`--values: '${text}' repeats a value`);
  return values;
}

/**
 * What a sweep tunes: a method option (`lr`, IU's `alpha`, CUFG's `tau0`) or a block setting written BLOCK.KEY
 * (`mask.ratio`: SalUn's sparsity, which the paper tunes per setting; `subspace.gamma`), with the recipe's value.
 */
export interface SweepTarget {
  param: string;
  block: keyof BlocksSetting | null;
  key: string;
  /** the recipe's value (undefined for a block setting the recipe leaves at its default) */
  current: unknown;
}

export function readTarget(param: string, method: string, base: Pick<UnlearnRecipe, 'options' | 'blocks'>): SweepTarget {
  const dot = param.indexOf('.');
  if (dot < 0) {
    if (!(param in base.options)) throw new UsageError(`--param: '${method}' has no option '${param}' (its options: ${Object.keys(base.options).join(', ')}; a block setting is BLOCK.KEY, e.g. mask.ratio)`);
    return { param, block: null, key: param, current: base.options[param] };
  }
  const block = param.slice(0, dot);
  const key = param.slice(dot + 1);
  if (!Object.hasOwn(BLOCK_SETTINGS, block)) throw new UsageError(`--param: '${block}' is not a block (blocks: ${Object.keys(BLOCK_SETTINGS).join(', ')})`);
  const b = block as keyof BlocksSetting;
  if (!BLOCK_SETTINGS[b].includes(key)) throw new UsageError(`--param: the ${b} block has no setting '${key}' (its settings: ${BLOCK_SETTINGS[b].join(', ')})`);
  const setting = base.blocks?.[b];
  const used = setting === undefined ? getMethod(method).defaultBlocks?.[b] === true : setting !== false;
  if (!used) throw new UsageError(`--param: '${method}' runs without the ${b} block; enable it in the recipe's "blocks" before tuning ${param}`);
  return { param, block: b, key, current: typeof setting === 'object' ? (setting as Record<string, unknown>)[key] : undefined };
}

/** The recipe's options and blocks with the swept setting at `value`. */
export function withValue(base: Pick<UnlearnRecipe, 'options' | 'blocks'>, t: SweepTarget, value: GridValue): { options: Record<string, unknown>; blocks: BlocksSetting } {
  if (t.block === null) return { options: { ...base.options, [t.key]: value }, blocks: base.blocks ?? {} };
  const setting = base.blocks?.[t.block];
  return { options: base.options, blocks: { ...base.blocks, [t.block]: { ...(typeof setting === 'object' ? setting : {}), [t.key]: value } } };
}

/**
 * What every trial of a sweep shares: the recipe's options and blocks with the --opt overrides, less the swept
 * setting (each trial carries its own value). sweep.json records it, so a folder of trials says what it tuned under.
 */
export function sharedSettings(base: Pick<UnlearnRecipe, 'options' | 'blocks'>, t: SweepTarget): { options: Record<string, unknown>; blocks: BlocksSetting } {
  const blocks = base.blocks ?? {};
  if (t.block === null) {
    const { [t.key]: _swept, ...options } = base.options;
    return { options, blocks };
  }
  const setting = blocks[t.block];
  if (typeof setting !== 'object') return { options: base.options, blocks };
  const { [t.key]: _swept, ...rest } = setting as Record<string, unknown>;
  return { options: base.options, blocks: { ...blocks, [t.block]: rest } };
}

/** The --opt settings a sweep fixed, as the recipe's `source` names them (' with --opt k=v …'), or nothing. */
function fixedText(opts: Record<string, unknown>): string {
  const pairs = Object.entries(opts).map(([k, v]) => `--opt ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return pairs.length === 0 ? '' : ` with ${pairs.join(' ')}`;
}

/**
 * The grid: --values (an explicit list, also for categorical settings) or a log grid from --range / --lr
 * (default a tenth to ten times the recipe's value).
 */
function readGrid(o: Opts, method: string, t: SweepTarget): GridValue[] {
  const { param, current } = t;
  const given = ['values', 'range', 'lr'].filter((k) => o.has(k));
  if (given.length > 1) throw new UsageError(`give the grid once: --values LIST, --range FROM:TO, or --lr FROM:TO when tuning the learning rate (got --${given.join(' and --')})`);
  if (o.has('values')) return parseValues(String(o.raw['values']), current);
  if (o.has('lr') && param !== 'lr') throw new UsageError(`--lr is the learning-rate range; to tune '${param}' give --range FROM:TO or --values LIST`);
  if (current !== undefined && typeof current !== 'number') throw new UsageError(`--param: '${param}' is not numeric (${JSON.stringify(current)}); give its candidates with --values a,b`);
  const points = o.int('points', { min: 1 }, 5);
  const text = o.has('range') ? String(o.raw['range']) : o.has('lr') ? String(o.raw['lr']) : null;
  if (text !== null) {
    const [from, to] = parseRange(text, o.has('range') ? '--range' : '--lr');
    return logGrid(from, to, points);
  }
  const value = Number(current);
  if (!(value > 0)) throw new UsageError(`--range: '${method}' has ${param} = ${String(current)} in its recipe, so there is no default range around it; give --range FROM:TO`);
  return logGrid(value / 10, value * 10, points);
}

interface SweepIdentity {
  method: string;
  by: string;
  param: string;
  protocol: string;
  /** the retrain metrics the trials were scored against (compared as JSON) */
  reference: unknown;
  /** the recipe's options and blocks the trials ran with (the swept setting aside) */
  options: Record<string, unknown>;
  blocks?: BlocksSetting | undefined;
}

/** What a recipe file holds of its sweeps (read loosely: recipes are hand-editable JSON). */
interface RecipeSweeps {
  method?: unknown;
  protocol?: unknown;
  options?: Record<string, unknown>;
  blocks?: unknown;
  sweep?: { by?: unknown; param?: unknown; reference?: unknown; trials?: unknown };
  history?: unknown;
}

function sameIdentity(r: RecipeSweeps, id: SweepIdentity): boolean {
  if (r.method !== id.method || r.protocol !== id.protocol || r.sweep?.by !== id.by || r.sweep.param !== id.param) return false;
  if (JSON.stringify(r.sweep.reference) !== JSON.stringify(id.reference)) return false;
  const others = (options: Record<string, unknown> | undefined, blocks: unknown): string =>
    JSON.stringify(Object.entries(recipeSettings(options, blocks)).filter(([k]) => k !== id.param).sort(([a], [b]) => a.localeCompare(b)));
  return others(r.options, r.blocks) === others(id.options, id.blocks);
}

const byValue = (a: { value: GridValue }, b: { value: GridValue }): number =>
  typeof a.value === 'number' && typeof b.value === 'number' ? a.value - b.value : String(a.value).localeCompare(String(b.value));

/**
 * The trials of this sweep merged with those of an earlier recipe when it was made under the same identity
 * (method, criterion, option, protocol, retrain reference, other options); otherwise this sweep's trials alone.
 * A value tried again takes the new result. Sorted by value.
 */
export function mergeTrials<T extends { value: GridValue }>(earlier: unknown, id: SweepIdentity, trials: T[]): T[] {
  const r = typeof earlier === 'object' && earlier !== null ? (earlier as RecipeSweeps) : null;
  const old = r !== null && sameIdentity(r, id) && Array.isArray(r.sweep?.trials) ? (r.sweep.trials as T[]) : [];
  const fresh = new Set(trials.map((t) => t.value));
  return [...old.filter((t) => ['number', 'string', 'boolean'].includes(typeof t.value) && !fresh.has(t.value)), ...trials].sort(byValue);
}

/**
 * The earlier sweeps a recipe keeps as history: when this sweep does not extend the recipe's last one (another
 * option, e.g. lr first and then tau0, coordinate by coordinate), that sweep and its own history stay on record.
 */
export function sweepHistory(earlier: unknown, id: SweepIdentity): unknown[] {
  const r = typeof earlier === 'object' && earlier !== null ? (earlier as RecipeSweeps) : null;
  if (r === null) return [];
  const history = Array.isArray(r.history) ? r.history : [];
  if (r.sweep === undefined || sameIdentity(r, id)) return history;
  return [...history, { ...r.sweep, protocol: r.protocol, options: r.options, ...(r.blocks === undefined ? {} : { blocks: r.blocks }) }];
}

/** One seed of a sweep: its sets, and its models' place, reference metrics and digests. */
interface SeedEntry {
  seed: number;
  sets: ProtocolSets;
  originalDir: string;
  /** NaN when the seed is scored from its files alone (no trial then runs) */
  retrainSeconds: number;
  reference: HeadlineMetrics;
  digests: ModelDigests;
}

/** One value's result on one seed: the headline fields of a bench run record. */
type SeedTrial = Pick<RunRecord, 'seed' | 'UA' | 'RA' | 'TA' | 'MIA' | 'avgGap' | 'seconds' | 'models' | 'diverged'>;

/** A finished trial file, its JSON nulls (a diverged metric) back to NaN; null when absent or unreadable. */
function readTrial(path: string): SeedTrial | null {
  const r = readRunRecord(path);
  return r === null ? null : seedTrial(r);
}

function seedTrial(r: RunRecord): SeedTrial {
  return { seed: r.seed, UA: r.UA, RA: r.RA, TA: r.TA, MIA: r.MIA, avgGap: r.avgGap, seconds: r.seconds, ...(r.models ? { models: r.models } : {}), ...(r.diverged ? { diverged: r.diverged } : {}) };
}

/** The same run in the run store (a bench's, or a sweep's in another folder), as a trial. */
function storedTrial(cacheDir: string, method: string, hash: string, models: ModelDigests): { trial: SeedTrial; from: string } | null {
  const r = readStoredRun(cacheDir, method, hash, { allMia: false, models });
  return r === null ? null : { trial: seedTrial(r), from: `the run store (${hash})` };
}

/**
 * A finished trial of the same run (the hash covers method, options, blocks, seed, data, model, original and
 * reference, not the swept option's name): first this sweep's own file, then any trial with that hash in this sweep's
 * trials or a sibling sweep's (`<out>/../<other>/trials`). So SalUn's lr sweep reuses the 2e-3 run its mask-ratio
 * sweep already made, instead of running it again under another name. A trial made with other weights (its digests
 * differ: the models were trained again, e.g. on another CPU) does not count; one from before the digests were kept
 * does, since the hash covers retrain's metrics.
 */
export function findTrial(out: string, file: string, hash: string, models: ModelDigests | { retrain: string }): { trial: SeedTrial; from: string } | null {
  // with the retrain digest alone (a seed scored from its files), the trial must name its models
  const mine = (t: SeedTrial | null): t is SeedTrial =>
    t !== null && ('original' in models ? madeWith(t, models) !== false : t.models?.retrain === models.retrain);
  const own = readTrial(file);
  if (mine(own)) return { trial: own, from: file };
  const suffix = `-${hash}.json`;
  const parent = dirname(out);
  const dirs = [join(out, 'trials'), ...listDir(parent).filter((d) => join(parent, d) !== out).map((d) => join(parent, d, 'trials'))];
  for (const dir of dirs) {
    for (const name of listDir(dir).filter((n) => n.endsWith(suffix)).sort()) {
      const trial = readTrial(join(dir, name));
      if (mine(trial)) return { trial, from: join(dir, name) };
    }
  }
  return null;
}

/** The entries of a directory, or none when it is absent or not a directory. */
function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The mean over rows of each named field (seeds' trials, seeds' retrain references). */
function meanFields<K extends string>(rows: readonly Record<K, number>[], keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, meanStd(rows.map((r) => r[k])).mean])) as Record<K, number>;
}

/** sweep's flags that set the original's and retrain's training recipe (its --lr is the grid's range, not theirs). */
const SWEEP_TRAIN_KEYS = ['epochs', 'batchSize', 'milestones'];

/** What a worker of `sweep --jobs` must not inherit: it is given its one value and seed, and writes no recipe. */
const SWEEP_PARENT_ONLY = ['jobs', 'json', 'values', 'range', 'lr', 'points', 'seed', 'seeds', 'write', 'recipesDir'];

export default async function sweep(o: Opts): Promise<void> {
  const method = required(o, 'method', 'the method to tune');
  checkMethod(method);
  if (REFERENCE_METHODS.includes(method)) throw new UsageError(`--method: '${method}' is the reference every trial is measured against; there is nothing to tune (bench refuses it too)`);
  const forget = canonicalForget(o.string('forget', 'random:0.1'));
  const recipe0 = recipeForMethod(method, forget);
  // --opt fixes other options for every trial (and in the written recipe), e.g. bnLeak=true or epochs=5: the
  // sweep's --epochs/--lr/--batch-size belong to the original and retrain models
  const optFlags = readOptFlags(o);
  const base = { ...recipe0, options: withOptFlags(o, method, recipe0.options) };
  const target = readTarget(o.string('param') ?? getMethod(method).tunedOption ?? 'lr', method, base);
  const { param } = target;
  if (target.block === null && param in optFlags) {
    throw new UsageError(`--opt: '${param}' is the option this sweep tunes; give its candidates with --values or --range instead`);
  }
  const grid = readGrid(o, method, target);
  // every value's options are checked now, not when its turn comes after the models are trained
  for (const value of grid) {
    try {
      resolveOptions(method, getMethod(method).defaults, withValue(base, target, value).options);
    } catch (e) {
      throw new UsageError(`--values: ${param} ${String(value)}: ${(e as Error).message}`);
    }
  }
  const by = o.choice('by', SWEEP_BY, 'avg-gap');
  const jobs = o.int('jobs', { min: 1 }, 1);
  const first = readSeed(o);
  const seeds = Array.from({ length: o.int('seeds', { min: 1 }, 1) }, (_, i) => first + i);
  const data = readDataConfig(o, first);
  const model = readModel(o);
  // --lr is the sweep range here, so the original/retrain recipe takes only --epochs, --batch-size, --milestones
  const trainRecipe = readTrainRecipe(new Opts(Object.fromEntries(SWEEP_TRAIN_KEYS.map((k) => [k, o.raw[k]]))));
  const cache = cacheDir(o.string('cacheDir'));
  const out = outputDir('--out', o.string('out') ?? join(cache, 'sweeps', method));
  const recipePath = o.raw['write'] !== false ? recipeFile(method, recipeScenario(forget), resolve(o.string('recipesDir') ?? recipesDir())) : null;
  // read the recipe this sweep will update before the runs, so a broken file stops it now rather than after them
  const earlier = recipePath !== null && existsSync(recipePath) ? parseRecipeJson(recipePath, 'sweep: the recipe to update') : null;
  ensureDirectory(join(out, 'trials'));

  const result = await withRun(o, async ({ reporter, signal }) => {
    // Every seed brings its own split, forget set, original and retrain (bench's cache): with several seeds a value
    // is scored by its mean Avg.Gap, so the winner does not merely fit one seed's forget set.
    const owned: { dispose(): void }[] = [];
    const perSeed: SeedEntry[] = [];
    /** One (value, seed) trial: its run, and its file, keyed by everything that made it. */
    const trialOf = (value: GridValue, { seed, originalDir, reference }: Pick<SeedEntry, 'seed' | 'originalDir' | 'reference'>) => {
      const run = { method, forget, ...withValue(base, target, value), seed };
      // each finished (value, seed) is its own file, keyed by everything that made it: a rerun of an
      // interrupted sweep skips it, and a changed recipe, protocol or retrain reference runs again
      const hash = runHash({ run, data: { ...data, seed }, model, trainRecipe, original: basename(originalDir), reference });
      return { run, hash, file: join(out, 'trials', `${method}-${param}=${String(value)}-seed${seed}-${hash}.json`) };
    };
    const modelsConfig = { model, forget, trainRecipe, cacheDir: cache };
    const measuredOn = (seed: number) => ({ data: { ...data, seed }, model, forget, trainRecipe });
    /**
     * A seed scored from its files alone, or null: retrain's metrics kept in the reference store, and a trial of every
     * value on file, each made with that retrain model and all with one original. Its models are then not needed, and
     * may be gone (a new machine, a cleared cache: training them again takes as long as the first time), as bench
     * tables a seed from its run files. So seeds swept on different machines combine into one sweep.
     */
    const fromFiles = (seed: number, sets: ProtocolSets): SeedEntry | null => {
      if (o.bool('fresh') || isJobWorker()) return null;
      const kept = keptReference(cache, measuredOn(seed));
      if (kept === null) return null;
      const entry = { seed, sets, originalDir: seedModelDirs(modelsConfig, { ...data, seed }, seed).originalDir, retrainSeconds: Number.NaN, reference: kept.metrics };
      const originals = new Set<string>();
      for (const value of grid) {
        const { file, hash } = trialOf(value, entry);
        const found = findTrial(out, file, hash, { retrain: kept.retrain });
        if (found?.trial.models === undefined) return null;
        originals.add(found.trial.models.original);
      }
      const [original, ...others] = originals;
      return original === undefined || others.length > 0 ? null : { ...entry, digests: { original, retrain: kept.retrain } };
    };
    try {
      const missing: { seed: number; loaded: LoadedData; sets: ProtocolSets }[] = [];
      for (const seed of seeds) {
        const loaded = loadData({ ...data, seed });
        owned.push(loaded);
        const sets = protocolSets(loaded, forget);
        owned.push(sets);
        const entry = fromFiles(seed, sets);
        if (entry === null) {
          missing.push({ seed, loaded, sets });
        } else {
          reporter.log(`seed ${seed}: every trial and retrain's metrics are on file; the models are not needed`);
          perSeed.push(entry);
        }
      }
      // with --jobs the seeds' missing models train in workers first, side by side (a worker of this sweep finds them)
      if (jobs > 1 && !isJobWorker() && missing.length > 0) {
        await trainModelsInJobs({ data, ...modelsConfig }, missing.map((m) => m.seed), { jobs, options: o.raw, trainKeys: SWEEP_TRAIN_KEYS, reporter, signal });
      }
      for (const { seed, loaded, sets } of missing) {
        const models = await ensureModels(modelsConfig, loaded, seed, { reporter, signal });
        // a worker's parent has just evaluated retrain (anew with --fresh) and kept the numbers
        const reference = await storedReference(cache, measuredOn(seed), models.digests.retrain, o.bool('fresh') && !isJobWorker(), async () => {
          reporter.log(`retrain (seed ${seed}): evaluating`);
          const { model: retrain } = loadCheckpoint(models.retrainDir);
          try {
            const r = await evaluateUnlearningAsync(retrain, { forget: sets.forget, retain: sets.retain, test: sets.test }, { allMiaViews: false, ...(signal ? { signal } : {}) });
            return { UA: r.UA, RA: r.RA, TA: r.TA, MIA: r.MIA };
          } finally {
            retrain.dispose();
          }
        });
        perSeed.push({ seed, sets, originalDir: models.originalDir, retrainSeconds: models.retrainSeconds, reference, digests: models.digests });
      }
      perSeed.sort((a, b) => a.seed - b.seed);
      const finished = (value: GridValue, entry: SeedEntry, fresh: boolean) => {
        const { hash, file } = trialOf(value, entry);
        return fresh ? null : (findTrial(out, file, hash, entry.digests) ?? storedTrial(cache, method, hash, entry.digests));
      };
      if (jobs > 1) {
        // each trial not on file is a one-value, one-seed sweep of its own, `jobs` at a time; the loop below then
        // finds them all done and makes the table and the recipe as a rerun would
        const pending = grid.flatMap((value) => perSeed.filter((e) => finished(value, e, o.bool('fresh')) === null).map((e) => ({ value, seed: e.seed })));
        const items = pending.map(({ value, seed }) => ({ label: `${param} ${String(value)} s${seed}`, options: { values: String(value), seed, seeds: 1, write: false } }));
        await runCommandJobs('sweep', o.raw, items, { jobs, drop: SWEEP_PARENT_ONLY, reporter, signal });
      }
      const trials = [];
      for (const value of grid) {
        const runs: SeedTrial[] = [];
        for (const entry of perSeed) {
          const { seed, sets, originalDir, retrainSeconds, reference, digests } = entry;
          const { run, hash, file } = trialOf(value, entry);
          const label = `${method}: ${param} ${value}${seeds.length > 1 ? ` (seed ${seed})` : ''}`;
          // with --jobs the workers made (or remade, with --fresh) every trial: this loop only collects them
          const done = finished(value, entry, o.bool('fresh') && jobs === 1);
          if (done !== null) {
            // a run found under another name is copied under this sweep's name, so its trials folder is complete
            if (done.from !== file) writeJsonAtomic(file, done.trial);
            reporter.log(`${label}: done before, skipping (${done.from})`);
            runs.push(done.trial);
            continue;
          }
          const { model: orig, spec } = loadCheckpoint(originalDir);
          try {
            reporter.log(label);
            const record = await runOrDiverge(seed, run, digests, reporter, async () => {
              const { model: unlearned, summary } = await runMethod(orig, spec, sets, run, { reporter, signal, reference, allMiaViews: false, label: `${method} ${param} ${value}` });
              unlearned.dispose();
              return runRecord(seed, summary, retrainSeconds, digests);
            });
            storeRun(cache, method, hash, record);
            const trial = seedTrial(record);
            writeJsonAtomic(file, trial);
            runs.push(trial);
          } finally {
            orig.dispose();
          }
        }
        // why a trial has no metrics stays with it (the table shows "-" for them, and the reason below it)
        const diverged = runs.filter((r) => r.diverged !== undefined).map((r) => `seed ${r.seed}: ${r.diverged}`);
        trials.push({ [param]: value, value, ...meanFields(runs, [...HEADLINE_KEYS, 'avgGap', 'seconds']), ...(seeds.length > 1 ? { perSeed: runs } : {}), ...(diverged.length > 0 ? { diverged: diverged.join('; ') } : {}) });
        writeJsonAtomic(join(out, 'sweep.json'), { method, forget, by, param, grid, seeds, ...sharedSettings(base, target), trials });
      }
      const reference = seeds.length === 1 ? perSeed[0]!.reference : meanFields(perSeed.map((p) => p.reference), HEADLINE_KEYS);
      return { reference, trials, protocol: seedsDescription(perSeed.map((p) => p.sets.description), seeds) };
    } finally {
      for (const d of owned.reverse()) d.dispose();
    }
  });
  const seedText = seeds.length === 1 ? `seed ${first}` : `seeds ${first}-${seeds[seeds.length - 1]!} (${by === 'worst-gap' ? 'worst seed' : 'mean'})`;
  const protocol = `${data.data} ${model} ${forget}${data.trainSize === null ? '' : ` train-size ${data.trainSize}`}${data.testSize === null ? '' : ` test-size ${data.testSize}`}, original/retrain ${trainRecipe.epochs} epochs, ${seedText}`;
  // A sweep that extends an earlier grid (same method, option, protocol, reference and other options) keeps the
  // earlier trials: the recipe's winner is the best over every point tried, not only over the latest grid.
  const identity = { method, by, param, protocol, reference: result.reference, options: base.options, blocks: base.blocks };
  const trials = mergeTrials(earlier, identity, result.trials);
  const history = sweepHistory(earlier, identity);
  const won = sweepWinner(trials, by);
  if (won === null) throw new Error(`sweep: every ${param} value diverged or failed for '${method}'`);
  const { best, finite } = won;
  // judged over the finite trials: a diverged value beyond the winner still says where the cliff is, not the optimum
  const edge = gridEdge(finite.map((t) => t.value), best.value);
  const winner = withValue(base, target, best.value);
  const recipe = {
    method,
    tuned: true,
    protocol,
    options: winner.options,
    ...(base.blocks === undefined && target.block === null ? {} : { blocks: winner.blocks }),
    source: `lethe sweep --by ${by} over ${param} ${trials.map((t) => t.value).join(', ')}${fixedText(optFlags)}`,
    sweep: { by, param, reference: result.reference, trials, ...(edge === null ? {} : { edge }), created: new Date().toISOString() },
    ...(history.length > 0 ? { history } : {}),
  };
  if (recipePath !== null) {
    // a recipe tuned under another protocol (e.g. the shipped full-scale one, by a quick small-data sweep) is
    // replaced, not merged: said on stderr, with the way to keep it; its sweep stays on record in the history
    const was = (earlier as { protocol?: unknown } | null)?.protocol;
    if (typeof was === 'string' && was !== protocol) {
      process.stderr.write(`note: ${recipePath} was tuned under '${was}'; it now holds this sweep's winner under '${protocol}' (the earlier sweep is kept in its history; --no-write or --recipes-dir DIR leave a recipe alone)\n`);
    }
    ensureDirectory(dirname(recipePath));
    writeJsonAtomic(recipePath, recipe);
  }
  if (o.bool('json')) {
    printJson({ ...recipe, recipeFile: recipePath, out });
    return;
  }
  print(`# sweep ${method} by ${by}; ${result.protocol}`);
  // with several seeds, each seed's gap beside the mean: a value that is fine on one seed and collapses on another
  // (CUFG's and UFG's lr cliffs) shows here, not only in the mean
  const seedCells = trials.map((t) => ('perSeed' in t && Array.isArray(t.perSeed) ? (t.perSeed as SeedTrial[]).map((r) => fmt(r.avgGap)).join(' / ') : ''));
  const withSeeds = seedCells.some((c) => c !== '');
  print(
    renderTable(
      [param, 'UA', 'RA', 'TA', 'MIA', 'Avg.Gap', ...(withSeeds ? ['per seed'] : []), 'time (s)'],
      trials.map((t, i) => [String(t.value), t.UA, t.RA, t.TA, t.MIA, t.avgGap, ...(withSeeds ? [seedCells[i]!] : []), t.seconds]),
    ),
  );
  for (const t of trials) if ('diverged' in t && typeof t.diverged === 'string') print(`${param} ${t.value} diverged (no metrics; it ranks last): ${t.diverged}`);
  print(`retrain: UA ${result.reference.UA.toFixed(2)}  RA ${result.reference.RA.toFixed(2)}  TA ${result.reference.TA.toFixed(2)}  MIA ${result.reference.MIA.toFixed(2)}`);
  const worst = by === 'worst-gap' && withSeeds ? `, worst seed ${sweepScore(best, by).toFixed(2)}` : '';
  print(`best ${param} ${best.value} (Avg.Gap ${best.avgGap.toFixed(2)}${worst})${recipePath ? ` → ${recipePath}` : ''}`);
  if (edge !== null) {
    const beyond = edge === 'lowest' ? 'below' : 'above';
    print(`note: ${best.value} is the ${edge} ${param} tried, so the best may lie ${beyond} it: extend the grid ${beyond} it (--values) before trusting the recipe`);
  }
}
