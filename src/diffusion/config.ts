// The plain-JSON description of a class-conditional UNet: what a diffusion checkpoint stores to rebuild it.
import { deepFreeze } from '../util/options.js';

/**
 * The plain-JSON description of a class-conditional UNet, as diffusion checkpoints store it (resolveUNetConfig fills
 * and validates it).
 */
export interface UNetConfig {
  /** side of the square input (default 32: Fashion-MNIST padded 28 → 32) */
  imageSize: number;
  /** image channels (1 for Fashion-MNIST) */
  inChannels: number;
  /** real classes; the class embedding has one more row, the learned null class used by classifier-free guidance */
  numClasses: number;
  /** channels of the first level */
  baseChannels: number;
  /** channel multiplier per resolution level; the image is halved between levels */
  channelMults: number[];
  /** residual blocks per level on the way down (the way up has one more, as in DDPM) */
  numResBlocks: number;
  /** resolutions (sides in pixels) that get a self-attention block after each residual block */
  attnResolutions: number[];
  /** dropout inside the residual blocks (DDPM: 0.1) */
  dropout: number;
  /** GroupNorm groups (capped at the channel count) */
  groups: number;
}

/**
 * Named sizes. 'tiny' runs in unit tests (≈25k parameters, 8×8 images); 'small' is the default for Fashion-MNIST
 * on a 2-core CPU (≈690k parameters, 16/32/64 channels at 32/16/8 pixels, attention at 8×8: a training step of
 * 64 images takes ≈0.9 s on one busy core); 'base' is a wider variant for a faster machine (≈5.6M parameters).
 */
export const UNET_PRESETS = deepFreeze({
  tiny: { imageSize: 8, inChannels: 1, numClasses: 3, baseChannels: 8, channelMults: [1, 2], numResBlocks: 1, attnResolutions: [4], dropout: 0, groups: 4 },
  small: { imageSize: 32, inChannels: 1, numClasses: 10, baseChannels: 16, channelMults: [1, 2, 4], numResBlocks: 1, attnResolutions: [8], dropout: 0.1, groups: 8 },
  base: { imageSize: 32, inChannels: 1, numClasses: 10, baseChannels: 32, channelMults: [1, 2, 4], numResBlocks: 2, attnResolutions: [8], dropout: 0.1, groups: 16 },
} as const satisfies Record<string, UNetConfig>);

/** The named UNet sizes of UNET_PRESETS: 'tiny', 'small' (the default) and 'base'. */
export type UNetPreset = keyof typeof UNET_PRESETS;

const KEYS: readonly (keyof UNetConfig)[] = ['imageSize', 'inChannels', 'numClasses', 'baseChannels', 'channelMults', 'numResBlocks', 'attnResolutions', 'dropout', 'groups'];

function posInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

/** A preset name, optionally with overrides, or a full config; validated, returned as a fresh object. */
export function resolveUNetConfig(c: UNetPreset | (Partial<UNetConfig> & { preset?: UNetPreset }) = 'small'): UNetConfig {
  const partial = typeof c === 'string' ? { preset: c } : c;
  const presetName = partial.preset ?? 'small';
  const preset = UNET_PRESETS[presetName];
  if (preset === undefined) throw new Error(`UNet config: unknown preset '${String(presetName)}'; known presets: ${Object.keys(UNET_PRESETS).join(', ')}`);
  const unknown = Object.keys(partial).filter((k) => k !== 'preset' && !(KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new Error(`UNet config: unknown field(s) ${unknown.join(', ')}; known fields: ${KEYS.join(', ')}`);
  const out: UNetConfig = {
    imageSize: partial.imageSize ?? preset.imageSize,
    inChannels: partial.inChannels ?? preset.inChannels,
    numClasses: partial.numClasses ?? preset.numClasses,
    baseChannels: partial.baseChannels ?? preset.baseChannels,
    channelMults: [...(partial.channelMults ?? preset.channelMults)],
    numResBlocks: partial.numResBlocks ?? preset.numResBlocks,
    attnResolutions: [...(partial.attnResolutions ?? preset.attnResolutions)],
    dropout: partial.dropout ?? preset.dropout,
    groups: partial.groups ?? preset.groups,
  };
  for (const k of ['imageSize', 'inChannels', 'numClasses', 'baseChannels', 'numResBlocks', 'groups'] as const) {
    if (!posInt(out[k])) throw new RangeError(`UNet config: ${k} must be a positive integer, got ${String(out[k])}`);
  }
  if (out.channelMults.length === 0 || !out.channelMults.every(posInt)) {
    throw new RangeError(`UNet config: channelMults must be a non-empty array of positive integers, got ${JSON.stringify(out.channelMults)}`);
  }
  if (!out.attnResolutions.every(posInt)) throw new RangeError(`UNet config: attnResolutions must be positive integers, got ${JSON.stringify(out.attnResolutions)}`);
  if (!(out.dropout >= 0 && out.dropout < 1)) throw new RangeError(`UNet config: dropout must be in [0, 1), got ${out.dropout}`);
  const halvings = out.channelMults.length - 1;
  if (out.imageSize % 2 ** halvings !== 0) {
    throw new RangeError(`UNet config: imageSize ${out.imageSize} must be divisible by 2^${halvings} (one halving between each of the ${out.channelMults.length} levels)`);
  }
  return out;
}
