// ModelSpec: the plain-JSON description of a model. Checkpoints store it and rebuild the model from it alone.

/** The architectures createModel builds by name. */
export type ModelName = 'resnet18' | 'resnet20' | 'smallcnn' | 'mlp';
export const MODEL_NAMES: readonly ModelName[] = ['resnet18', 'resnet20', 'smallcnn', 'mlp'];

/** The plain-JSON description of a model: checkpoints store it, and createModel rebuilds the model from it alone. */
export interface ModelSpec {
  /** The architecture. */
  name: ModelName;
  /** Image channels (1 for Fashion-MNIST, 3 for CIFAR). */
  inChannels: number;
  /** Outputs of the classifier head. */
  numClasses: number;
  /** Side of the square input images; used by smallcnn and mlp (default 28), ignored by the ResNets. */
  imageSize?: number;
  /** Per-channel normalisation folded into the model as its first step (give both or neither). */
  mean?: number[];
  /** Per-channel standard deviations (positive), with `mean`. */
  std?: number[];
  /** mlp only: widths of the hidden layers (default [256, 128]). */
  hiddenSizes?: number[];
}

const KEYS = new Set(['name', 'inChannels', 'numClasses', 'imageSize', 'mean', 'std', 'hiddenSizes']);

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}
function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/**
 * Checks a spec (e.g. parsed from a checkpoint manifest) and returns a clean copy. Errors name the field and
 * what is expected.
 */
export function validateModelSpec(spec: unknown): ModelSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new TypeError('model spec must be an object like { name: "resnet20", inChannels: 1, numClasses: 10 }');
  const s = spec as Record<string, unknown>;
  const unknown = Object.keys(s).filter((k) => !KEYS.has(k));
  if (unknown.length > 0) throw new Error(`model spec: unknown field(s) ${unknown.join(', ')}; known fields: ${[...KEYS].join(', ')}`);
  if (typeof s['name'] !== 'string' || !(MODEL_NAMES as readonly string[]).includes(s['name'])) {
    throw new Error(`model spec: unknown model '${String(s['name'])}'; known models: ${MODEL_NAMES.join(', ')}`);
  }
  const name = s['name'] as ModelName;
  if (!isPositiveInt(s['inChannels'])) throw new RangeError(`model spec: inChannels must be a positive integer, got ${String(s['inChannels'])}`);
  if (!isPositiveInt(s['numClasses'])) throw new RangeError(`model spec: numClasses must be a positive integer, got ${String(s['numClasses'])}`);
  const out: ModelSpec = { name, inChannels: s['inChannels'], numClasses: s['numClasses'] };
  if (s['imageSize'] !== undefined) {
    if (!isPositiveInt(s['imageSize'])) throw new RangeError(`model spec: imageSize must be a positive integer, got ${String(s['imageSize'])}`);
    out.imageSize = s['imageSize'];
  }
  const mean = s['mean'];
  const std = s['std'];
  if ((mean === undefined) !== (std === undefined)) throw new Error('model spec: give both mean and std for the input normalisation, or neither');
  if (mean !== undefined) {
    if (!isNumberArray(mean) || !isNumberArray(std)) throw new TypeError('model spec: mean and std must be arrays of finite numbers');
    if (mean.length !== out.inChannels || std.length !== out.inChannels) {
      throw new RangeError(`model spec: mean and std need one entry per input channel (${out.inChannels}), got ${mean.length} and ${std.length}`);
    }
    if (std.some((v) => v <= 0)) throw new RangeError(`model spec: std entries must be positive, got [${std.join(', ')}]`);
    out.mean = [...mean];
    out.std = [...std];
  }
  if (s['hiddenSizes'] !== undefined) {
    const h = s['hiddenSizes'];
    if (!Array.isArray(h) || !h.every(isPositiveInt)) throw new TypeError('model spec: hiddenSizes must be an array of positive integers');
    if (name !== 'mlp') throw new Error(`model spec: hiddenSizes applies to mlp only, not ${name}`);
    out.hiddenSizes = [...(h as number[])];
  }
  return out;
}

/** The option names every model factory takes (a misspelt one, `numclasses`, is an error, not a 10-class model). */
export const MODEL_OPTION_KEYS = ['inChannels', 'numClasses', 'mean', 'std'] as const;

/** `base` with the input normalisation of `opts`, when given: how every model's spec ends. */
export function withNormalization(base: ModelSpec, opts: ModelOptions): ModelSpec {
  return { ...base, ...(opts.mean !== undefined ? { mean: opts.mean } : {}), ...(opts.std !== undefined ? { std: opts.std } : {}) };
}

/** Options shared by the model constructors. */
export interface ModelOptions {
  /** Image channels (the default depends on the model: 3 for the ResNets, 1 otherwise). */
  inChannels?: number;
  /** Outputs of the classifier head; default 10. */
  numClasses?: number;
  /** Per-channel mean folded into the model as its first step (give std too, one entry per channel). */
  mean?: number[];
  /** Per-channel standard deviation (positive), with `mean`. */
  std?: number[];
}
