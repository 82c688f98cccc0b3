// lethe diffusion train|unlearn|mask|sample|eval|classifier: the generative side (src/diffusion/commands.ts does the
// work; this file only maps flags to its options, with the same progress, Ctrl-C and error behaviour as the rest).
import { diffusionClassifierCommand, diffusionEvalCommand, diffusionMaskCommand, diffusionReplayCommand, diffusionSampleCommand, diffusionTrainCommand, diffusionUnlearnCommand, type DiffusionProgress } from '../../diffusion/commands.js';
import { checkDiffusionUnlearnOptions, DIFFUSION_UNLEARN_METHODS, inapplicableOption } from '../../diffusion/unlearn.js';
import { ESD_XT_SOURCES } from '../../diffusion/esd.js';
import { saSettings } from '../../diffusion/sa.js';
import type { SaPassSettings } from '../../diffusion/sa-file.js';
import { flagName, parseKeyValues, required, type Opts } from '../options.js';
import type { SubspaceOptions } from '../../unlearn/blocks/subspace.js';
import { UsageError } from '../errors.js';
import type { Reporter } from '../progress.js';
import { inputFile, maskOutputPaths, outputDir, outputFile, readMaskRatios, refuseSaveWithMaskFile, print, printJson, refuseInputs, withRun } from './shared.js';
import { checkCheckpointDir, refuseFinished } from '../checkpoints.js';
import { readDiffusionManifest } from '../../diffusion/checkpoint.js';

/**
 * The checkpoint directory a subcommand writes, checked before any work: writable, none of its inputs, and not a
 * finished checkpoint (of any kind) unless --force. An interrupted training run has no manifest yet and resumes.
 */
function checkpointOut(o: Opts, what: string, inputs: [string, string][] = []): string {
  const out = outputDir('--out', required(o, 'out', what));
  refuseInputs('--out', out, inputs);
  refuseFinished(out, o.bool('force'));
  return out;
}

/**
 * --from: the diffusion checkpoint a subcommand starts from, checked before any work (missing: exit 2). Each
 * subcommand reads it after its flags, so a bad flag is reported as such whatever --from holds.
 */
const fromCheckpoint = (o: Opts, what: string): string => checkCheckpointDir(required(o, 'from', what), '--from', 'lethe diffusion train or lethe diffusion unlearn');

/** Columns of a sample grid at most: 100 per class is already a 2,800-pixel-wide PNG and 1,000 sampled images. */
const MAX_PER_CLASS = 100;

/**
 * The flags whose range depends on the model (--forget-class against its classes, --steps against its diffusion
 * steps), checked from its manifest alone, before the weights and data are loaded. An unreadable --from is left to
 * the loader, which says what is wrong with it.
 */
function checkAgainstModel(o: Opts, from: string | undefined): void {
  if (from === undefined) return;
  let numClasses: number;
  let timesteps: number;
  let hasEma: boolean;
  try {
    const m = readDiffusionManifest(from);
    numClasses = m.unet.numClasses;
    timesteps = m.schedule.timesteps;
    hasEma = m.ema !== null;
  } catch {
    return;
  }
  if (!hasEma && o.string('weights') === 'ema') throw new UsageError(`--weights ema: '${from}' has no EMA weights (an unlearned checkpoint keeps only its weights); use --weights model or leave --weights out`);
  const forgetClass = o.int('forgetClass', { min: 0 });
  if (forgetClass !== undefined && forgetClass >= numClasses) throw new UsageError(`--forget-class: ${forgetClass} is not a class of '${from}' (it has classes 0 to ${numClasses - 1})`);
  for (const key of ['steps', 'xtSteps', 'replaySteps'] as const) {
    const steps = o.int(key, { min: 1 });
    if (steps !== undefined && steps > timesteps) throw new UsageError(`${flagName(key)}: ${steps} is more than the ${timesteps} diffusion steps of '${from}'; give at most ${timesteps}`);
  }
}

const METHODS = DIFFUSION_UNLEARN_METHODS;
const SAMPLERS = ['ddim', 'ddpm'] as const;
const SAMPLING = ['sampler', 'steps', 'eta', 'guidance', 'clipX0', 'weights'] as const;
const WEIGHTS = ['auto', 'ema', 'model'] as const;
const COMMON = new Set(['config', 'json', 'quiet']);

/** SA's flags of the replay and Fisher passes (lethe diffusion replay; fixed by an --sa-file). */
const SA_PASS_FLAGS = ['replayPerClass', 'fimPerClass', 'replaySteps', 'replayEta', 'replayGuidance'] as const;
/** The flags of one unlearning method's own settings (DiffusionUnlearnOptions.esd and .sa). */
const METHOD_FLAGS = {
  esd: ['negativeGuidance', 'xtSource', 'xtGuidance', 'xtSteps'],
  sa: ['ewcWeight', 'replayWeight', 'saFile', ...SA_PASS_FLAGS],
} as const;

/** The flags each subcommand reads; any other given flag would be ignored, so it is an error instead. */
const SUBCOMMAND_FLAGS: Record<string, readonly string[]> = {
  train: ['out', 'force', 'data', 'forgetClass', 'iterations', 'batchSize', 'lr', 'warmup', 'emaDecay', 'emaWarmup', 'condDrop', 'dropLast', 'timesteps', 'unet', 'seed'],
  unlearn: ['from', 'out', 'force', 'data', 'weights', 'method', 'forgetClass', 'iterations', 'batchSize', 'lr', 'alpha', 'maskRatio', 'maskFile', 'saveMask', 'gamma', 'subspace', 'gradientSamples', 'useRetain', 'condDrop', 'gradClip', 'dropLast', ...METHOD_FLAGS.esd, ...METHOD_FLAGS.sa, 'seed'],
  mask: ['from', 'out', 'data', 'weights', 'forgetClass', 'maskRatio', 'gradientSamples', 'seed'],
  replay: ['from', 'out', 'weights', ...SA_PASS_FLAGS, 'seed'],
  sample: ['from', 'out', 'perClass', ...SAMPLING, 'seed'],
  eval: ['from', 'classifier', 'forgetClass', 'data', 'samplesForget', 'samplesPerClass', 'grid', ...SAMPLING, 'seed'],
  classifier: ['out', 'force', 'data', 'epochs', 'minAccuracy', 'seed'],
};

/** A flag the subcommand would ignore is a usage error naming the subcommands that read it. */
function checkFlags(o: Opts, sub: string): void {
  const own = SUBCOMMAND_FLAGS[sub];
  if (own === undefined) return; // the unknown subcommand is reported below
  for (const key of Object.keys(o.raw)) {
    if (!o.has(key) || COMMON.has(key) || own.includes(key)) continue;
    const users = Object.keys(SUBCOMMAND_FLAGS).filter((s) => SUBCOMMAND_FLAGS[s]!.includes(key));
    throw new UsageError(`${flagName(key)} does not apply to 'lethe diffusion ${sub}' (it is read by ${users.join(', ') || 'no subcommand'}); leave it out`);
  }
}

/** The flag behind each library option the chosen unlearning method may not use. */
const UNLEARN_FLAG = {
  mask: 'maskFile',
  onMaskBuilt: 'saveMask',
  maskRatio: 'maskRatio',
  subspace: 'gamma',
  useRetain: 'useRetain',
  alpha: 'alpha',
  gradientSamples: 'gradientSamples',
  gradientGuidance: 'gradientSamples',
  condDrop: 'condDrop',
  dropLast: 'dropLast',
  esd: 'xtSource',
  sa: 'ewcWeight',
  saPrepared: 'saFile',
} as const;

/** The flag that set a library option the method may not use (--subspace or its short form --gamma for the subspace). */
function unlearnFlag(o: Opts, option: keyof typeof UNLEARN_FLAG): string {
  return flagName(option === 'subspace' && o.has('subspace') ? 'subspace' : UNLEARN_FLAG[option]);
}

/** semu's subspace settings from --subspace k=v,… (or a --config object) and --gamma, its short form; undefined if neither. */
function subspaceFlags(o: Opts): SubspaceOptions | undefined {
  const gamma = o.number('gamma');
  const raw = o.raw['subspace'];
  if (raw === undefined) return gamma === undefined ? undefined : { gamma };
  const settings = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : parseKeyValues(String(raw), '--subspace');
  if (gamma !== undefined && settings['gamma'] !== undefined) throw new UsageError('--gamma and --subspace gamma=…: given together; give one of them');
  return { ...(settings as SubspaceOptions), ...(gamma !== undefined ? { gamma } : {}) };
}

/** SA's replay and Fisher settings from their flags (only those given). */
function saPassSettings(o: Opts): Partial<SaPassSettings> {
  const settings = given({
    replayPerClass: o.int('replayPerClass', { min: 1 }),
    fimPerClass: o.int('fimPerClass', { min: 1 }),
    replaySteps: o.int('replaySteps', { min: 1 }),
    replayEta: o.number('replayEta'),
    replayGuidance: o.number('replayGuidance'),
  });
  try {
    saSettings(settings);
  } catch (e) {
    throw new UsageError(asFlags((e as Error).message));
  }
  return settings;
}

/** A library message in the command line's words: its option names as flags. */
function asFlags(message: string): string {
  const keys = ['useRetain', 'maskRatio', 'maskFile', 'gradientSamples', 'condDrop', 'dropLast', 'minAccuracy', ...METHOD_FLAGS.esd, ...METHOD_FLAGS.sa];
  return message.replace(new RegExp(`\\b(${keys.join('|')})\\b`, 'g'), (k) => flagName(k));
}

function progressTo(reporter: Reporter): (p: DiffusionProgress) => void {
  return (p) => reporter.update({ label: `diffusion ${p.phase}`, done: p.step, total: p.steps, ...(p.loss !== undefined ? { loss: p.loss } : {}) });
}

/** Only the flags the user gave, so the library's documented defaults apply to the rest. */
function given<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A true/false flag the user may leave out (then the library's default applies). */
const optionalBool = (o: Opts, key: string): boolean | undefined => (o.has(key) ? o.bool(key) : undefined);

/** --weights: which weights of the checkpoint to load (unset: the library's 'auto', the EMA when present). */
const weightsOption = (o: Opts): { weights?: 'auto' | 'ema' | 'model' } => given({ weights: o.has('weights') ? o.choice('weights', WEIGHTS, 'auto') : undefined });

function samplingOptions(o: Opts): { sampler?: 'ddim' | 'ddpm'; steps?: number; eta?: number; guidance?: number; clipX0?: boolean; weights?: 'auto' | 'ema' | 'model'; seed?: number } {
  const sampler = o.has('sampler') ? o.choice('sampler', SAMPLERS, 'ddim') : undefined;
  // DDPM walks all T steps with its own variance: a DDIM setting would be ignored
  for (const key of ['steps', 'eta', 'clipX0'] as const) {
    if (sampler === 'ddpm' && o.has(key)) throw new UsageError(`${flagName(key)} applies to the ddim sampler only; leave it out with --sampler ddpm`);
  }
  const eta = o.number('eta');
  if (eta !== undefined && eta < 0) throw new UsageError(`--eta: must be ≥ 0 (0 is deterministic DDIM, 1 the reference's stochastic steps), got ${eta}`);
  return given({
    sampler,
    steps: o.int('steps', { min: 1 }),
    eta,
    guidance: o.number('guidance'),
    clipX0: optionalBool(o, 'clipX0'),
    ...weightsOption(o),
    seed: o.int('seed', { min: 0 }),
  });
}

export default async function diffusion(o: Opts, args: string[]): Promise<void> {
  const sub = args[0];
  checkFlags(o, String(sub));
  const perClass = o.int('perClass', { min: 1 });
  if (perClass !== undefined && perClass > MAX_PER_CLASS) throw new UsageError(`--per-class: at most ${MAX_PER_CLASS} columns, got ${perClass}`);
  // each output is checked before any work (after the flags): no input is overwritten, and no finished checkpoint
  // without --force
  const from = o.string('from');
  checkAgainstModel(o, from);
  const outputs = {
    train: () => checkpointOut(o, 'where to write the diffusion checkpoint'),
    unlearn: () => checkpointOut(o, 'where to write the unlearned checkpoint', from === undefined ? [] : [['--from', from]]),
    classifier: () => checkpointOut(o, 'where to write the evaluation classifier'),
    sample: () => outputFile('--out', required(o, 'out', 'the PNG grid to write (one row per class)'), [['--from', from ?? null]]),
    maskFile: () => inputFile('--mask-file', o.string('maskFile')!, 'the mask file itself (written by --save-mask)'),
    saFile: () => inputFile('--sa-file', o.string('saFile')!, 'the SA file itself (written by lethe diffusion replay)'),
    replay: () => outputFile('--out', required(o, 'out', 'the SA file to write (replay images and Fisher information)'), [['--from', from ?? null]]),
    saveMask: () => outputFile('--save-mask', o.string('saveMask')!, [['--from', from ?? null], ['--mask-file', o.string('maskFile') ?? null]]),
    eval: () => (o.has('grid') ? outputFile('--grid', o.string('grid')!, [['--from', from ?? null], ['--classifier', o.string('classifier') ?? null]]) : undefined),
  } as const;
  const result = await withRun(o, async ({ reporter, signal }) => {
    const progress = progressTo(reporter);
    switch (sub) {
      case 'train':
        return diffusionTrainCommand(
          {
            out: outputs.train(),
            ...given({
              data: o.string('data'),
              forgetClass: o.int('forgetClass', { min: 0 }),
              iterations: o.int('iterations', { min: 1 }),
              batchSize: o.int('batchSize', { min: 1 }),
              lr: o.number('lr'),
              warmup: o.int('warmup', { min: 0 }),
              emaDecay: o.unitInterval('emaDecay'),
              emaWarmup: optionalBool(o, 'emaWarmup'),
              condDrop: o.unitInterval('condDrop'),
              dropLast: optionalBool(o, 'dropLast'),
              timesteps: o.int('timesteps', { min: 2 }),
              seed: o.int('seed', { min: 0 }),
              unet: o.has('unet') ? o.choice('unet', ['tiny', 'small', 'base'] as const, 'small') : undefined,
            }),
          },
          progress,
          signal,
        );
      case 'unlearn': {
        const method = o.choice('method', METHODS, 'salun');
        // a method's own flags: refused with another method, else its settings object (esd, sa)
        for (const [owner, keys] of Object.entries(METHOD_FLAGS)) {
          const stray = keys.find((k) => o.has(k));
          if (owner !== method && stray !== undefined) throw new UsageError(`${flagName(stray)} applies to ${owner} only; leave it out for ${method}`);
        }
        const esd = given({
          negativeGuidance: o.number('negativeGuidance'),
          xtSource: o.has('xtSource') ? o.choice('xtSource', ESD_XT_SOURCES, 'unlearned') : undefined,
          xtGuidance: o.number('xtGuidance'),
          xtSteps: o.int('xtSteps', { min: 1 }),
        });
        const sa = { ...given({ ewcWeight: o.number('ewcWeight'), replayWeight: o.number('replayWeight') }), ...saPassSettings(o) };
        const methodOptions = {
          ...given({
            alpha: o.number('alpha'),
            maskRatio: o.number('maskRatio'),
            gradientSamples: o.int('gradientSamples', { min: 1 }),
            useRetain: optionalBool(o, 'useRetain'),
            condDrop: o.unitInterval('condDrop'),
            gradClip: o.positive('gradClip'),
            dropLast: optionalBool(o, 'dropLast'),
          }),
          ...(Object.keys(esd).length > 0 ? { esd } : {}),
          ...(Object.keys(sa).length > 0 ? { sa } : {}),
        };
        const subspace = subspaceFlags(o);
        const files = given({
          maskFile: o.has('maskFile') ? outputs.maskFile() : undefined,
          saveMask: o.has('saveMask') ? outputs.saveMask() : undefined,
          saFile: o.has('saFile') ? outputs.saFile() : undefined,
        });
        refuseSaveWithMaskFile(o);
        const fixedByFile = SA_PASS_FLAGS.find((k) => o.has(k));
        if (files.saFile !== undefined && fixedByFile !== undefined) throw new UsageError(`${flagName(fixedByFile)} is fixed by --sa-file (its replay images and Fisher information were made with their own settings); leave it out`);
        const inapplicable = inapplicableOption(method, {
          forgetClass: 0,
          ...methodOptions,
          ...given({ subspace, mask: files.maskFile, onMaskBuilt: files.saveMask }),
        });
        if (inapplicable) throw new UsageError(`${unlearnFlag(o, inapplicable.option)} ${asFlags(inapplicable.problem)}`);
        const run = {
          method,
          forgetClass: o.int('forgetClass', { min: 0 }, 0),
          ...methodOptions,
          ...weightsOption(o),
          ...given({
            data: o.string('data'),
            iterations: o.int('iterations', { min: 1 }),
            batchSize: o.int('batchSize', { min: 1 }),
            lr: o.number('lr'),
            subspace,
            seed: o.int('seed', { min: 0 }),
          }),
        };
        // every range before the gradient pass (alpha, --mask-ratio, --subspace and --gamma, --lr)
        try {
          checkDiffusionUnlearnOptions(run);
        } catch (e) {
          throw new UsageError(`diffusion unlearn: ${asFlags((e as Error).message)}`);
        }
        return diffusionUnlearnCommand({ out: outputs.unlearn(), ...run, ...files, model: fromCheckpoint(o, 'the trained diffusion checkpoint'), onWarning: (w) => reporter.warn(asFlags(w)) }, progress, signal);
      }
      case 'replay':
        return diffusionReplayCommand(
          {
            out: outputs.replay(),
            ...weightsOption(o),
            settings: saPassSettings(o),
            ...given({ seed: o.int('seed', { min: 0 }) }),
            model: fromCheckpoint(o, 'the trained diffusion checkpoint'),
          },
          progress,
          signal,
        );
      case 'mask': {
        // one pass, one file per ratio: --out is the file for one ratio, a directory of with_<ratio>.safetensors for several
        const ratios = readMaskRatios(o, 'maskRatio');
        const out = maskOutputPaths(o, ratios, [['--from', from ?? null]]);
        return diffusionMaskCommand(
          {
            forgetClass: o.int('forgetClass', { min: 0 }, 0),
            ratios,
            out,
            ...weightsOption(o),
            ...given({ data: o.string('data'), gradientSamples: o.int('gradientSamples', { min: 1 }), seed: o.int('seed', { min: 0 }) }),
            model: fromCheckpoint(o, 'the trained diffusion checkpoint'),
          },
          progress,
          signal,
        );
      }
      case 'sample':
        return diffusionSampleCommand(
          {
            out: outputs.sample(),
            ...given({ perClass }),
            ...samplingOptions(o),
            model: fromCheckpoint(o, 'the diffusion checkpoint to sample'),
          },
          progress,
          signal,
        );
      case 'eval':
        return diffusionEvalCommand(
          {
            forgetClass: o.int('forgetClass', { min: 0 }, 0),
            ...given({
              data: o.string('data'),
              samplesForget: o.int('samplesForget', { min: 1 }),
              samplesPerClass: o.int('samplesPerClass', { min: 1 }),
              grid: outputs.eval(),
            }),
            ...samplingOptions(o),
            model: fromCheckpoint(o, 'the diffusion checkpoint to evaluate'),
            classifier: checkCheckpointDir(required(o, 'classifier', 'the evaluation classifier (lethe diffusion classifier --out DIR)'), '--classifier', 'lethe diffusion classifier'),
          },
          progress,
          signal,
        );
      case 'classifier': {
        const minAccuracy = o.number('minAccuracy');
        if (minAccuracy !== undefined && !(minAccuracy >= 0 && minAccuracy <= 100)) throw new UsageError(`--min-accuracy: a test accuracy in percent, 0 to 100; got ${minAccuracy}`);
        const run = {
          out: outputs.classifier(),
          ...given({ data: o.string('data'), epochs: o.int('epochs', { min: 1 }), minAccuracy, seed: o.int('seed', { min: 0 }) }),
        };
        // the library's refusal names its option; here it is the flag
        return diffusionClassifierCommand(run, progress, signal).catch((e: unknown) => {
          if (e instanceof Error && !(e instanceof UsageError) && e.message.includes('minAccuracy')) e.message = asFlags(e.message);
          throw e;
        });
      }
      default:
        throw new UsageError(`lethe diffusion: unknown subcommand '${String(sub)}'; use train, unlearn, mask, replay, sample, eval or classifier`);
    }
  });
  if (o.bool('json')) printJson(result);
  else print(JSON.stringify(result, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
}
