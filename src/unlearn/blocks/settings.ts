// The blocks' settings as plain data: each block's defaults and the choices of its categorical settings. Nothing
// here loads libtorch, so the CLI's option help can list them at start-up; the checks in subspace.ts,
// curriculum.ts and run.ts read the same tables, so the help cannot offer a choice the checks refuse.
import { MASK_MODES } from '../../optim/mask-mode.js';
import { deepFreeze } from '../../util/options.js';
import type { BlockName } from '../method.js';

/** The block names, in the order the runner builds them. */
export const BLOCK_NAMES: readonly BlockName[] = ['mask', 'subspace', 'curriculum'];

/** What each block is, in words (errors and help). */
export const BLOCK_TITLES: Record<BlockName, string> = { mask: 'a saliency mask', subspace: 'an SVD subspace', curriculum: 'a curriculum' };

/** The subspace's settings when none are given (fullRank '': no layer keeps its full rank). */
export const SUBSPACE_DEFAULTS = { gamma: 0.95, projection: 'orthogonal', rankRule: 'reference', channelRanks: 'max', fullRank: '' } as const;

/**
 * The DDPM reference's subspace (research/semu.md §1.8), over SUBSPACE_DEFAULTS: a rank per input channel, attention
 * layers at full rank. `lethe diffusion unlearn --method semu` starts from these.
 */
export const DDPM_SUBSPACE = deepFreeze({ channelRanks: 'per-channel', fullRank: 'attn' } as const);

/** Each block's settings when none are given (`lethe unlearn --method NAME --help` prints them). */
export const BLOCK_DEFAULTS = deepFreeze({
  mask: { ratio: 0.5, mode: 'update' },
  subspace: { ...SUBSPACE_DEFAULTS, bnMode: 'eval' },
  curriculum: { stages: 3, epochsPerStage: 2, score: 'loss', order: 'easy-first', batchSize: 256, partial: false },
} as const satisfies Record<BlockName, object>);

/**
 * The choices of each block's categorical settings. The first is not always the default: BLOCK_DEFAULTS says
 * which is. ('reference' in projection is the reference code's ‖W‖ rather than ‖W‖²; 'train' in bnMode is the
 * reference's BatchNorm mode; 'confidence' orders the curriculum as 'loss' does.)
 */
export const BLOCK_CHOICES = deepFreeze({
  mask: { mode: MASK_MODES },
  subspace: { projection: ['orthogonal', 'reference', 'none'], rankRule: ['reference', 'reach'], channelRanks: ['max', 'per-channel'], bnMode: ['eval', 'train'] },
  curriculum: { score: ['loss', 'confidence', 'entropy'], order: ['easy-first', 'hard-first'] },
} as const satisfies { [B in BlockName]: Partial<Record<keyof (typeof BLOCK_DEFAULTS)[B], readonly string[]>> });

/** One choice of a block's categorical setting, e.g. `BlockChoice<'curriculum', 'order'>` is 'easy-first' | 'hard-first'. */
export type BlockChoice<B extends BlockName, K extends keyof (typeof BLOCK_CHOICES)[B]> = (typeof BLOCK_CHOICES)[B][K] extends readonly (infer C)[] ? C : never;

/** The settings each block takes as text or JSON (recipes' `blocks`, --mask/--subspace/--curriculum, sweep's --param BLOCK.KEY). */
export const BLOCK_SETTINGS = {
  mask: Object.keys(BLOCK_DEFAULTS.mask),
  subspace: Object.keys(BLOCK_DEFAULTS.subspace),
  curriculum: Object.keys(BLOCK_DEFAULTS.curriculum),
} as const satisfies Record<BlockName, readonly string[]>;
