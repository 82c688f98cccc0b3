// Helpers the commands share: reading the data and recipe flags, running with Ctrl-C handling, printing.
import type { ModelName } from '../../models/index.js';
import { MODEL_NAMES } from '../../models/spec.js';
import { PROTOCOL_RECIPE, type TrainRecipe } from '../../train/recipe.js';
import { UsageError } from '../errors.js';
import { dataConfig, type DataConfig } from '../data.js';
import type { Opts } from '../options.js';
import { makeReporter, type Reporter } from '../progress.js';
import { abortOnSignals } from '../signals.js';
import { recipeFrom } from '../training.js';

export function readDataConfig(o: Opts, seed: number): DataConfig {
  return dataConfig({
    data: o.string('data', 'fmnist'),
    dataDir: o.string('dataDir'),
    trainSize: o.int('trainSize', { min: 1 }),
    testSize: o.int('testSize', { min: 1 }),
    seed,
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
  if (lr !== undefined) r.lr = lr;
  const bs = o.int('batchSize', { min: 1 });
  if (bs !== undefined) r.batchSize = bs;
  const momentum = o.number('momentum');
  if (momentum !== undefined) r.momentum = momentum;
  const wd = o.number('weightDecay');
  if (wd !== undefined) r.weightDecay = wd;
  if (o.has('optimizer')) r.optimizer = o.choice('optimizer', ['sgd', 'adam'] as const, 'sgd');
  if (o.has('schedule')) r.schedule = o.choice('schedule', ['multistep', 'cosine', 'constant'] as const, PROTOCOL_RECIPE.schedule);
  if (o.has('milestones')) {
    const raw = o.raw['milestones'];
    const list = Array.isArray(raw) ? raw.map(Number) : String(raw).split(',').map((s) => Number(s.trim()));
    if (list.some((x) => !Number.isInteger(x) || x < 1)) throw new UsageError(`--milestones: expected epochs like 10,15, got '${String(raw)}'`);
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
