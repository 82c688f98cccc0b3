// The method part of `lethe unlearn --help` and `lethe sweep --help`: every method in one line, and with
// `--method NAME` that method's reference, blocks and every option with its default, so that options such as
// bs's bnMode can be found without reading the source. Nothing here loads libtorch: main.ts builds the block
// options' help from blockSettingsLine at start-up.
import type { BlockName, CommonOptions, MethodDefinition } from '../unlearn/method.js';
import { BLOCK_CHOICES, BLOCK_DEFAULTS, BLOCK_NAMES } from '../unlearn/blocks/settings.js';

/** The value of `--method NAME` or `--method=NAME` in `argv`, or null (also when a flag follows `--method`). */
export function methodArgument(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--method') return i + 1 < argv.length && !argv[i + 1]!.startsWith('-') ? argv[i + 1]! : null;
    if (a.startsWith('--method=')) return a.slice('--method='.length);
  }
  return null;
}

/** One line per method. */
export function methodTable(methods: readonly MethodDefinition<CommonOptions>[]): string {
  const width = Math.max(...methods.map((m) => m.name.length));
  return methods.map((m) => `  ${m.name.padEnd(width)}  ${m.summary}`).join('\n');
}

/** A default as the help prints it ('' as (empty): milestones' automatic schedule, no fullRank layer). */
export const shown = (v: unknown): string => (v === '' ? '(empty)' : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * A block's settings as `--subspace`/`--curriculum` take them: `key=default`, with a categorical setting's other
 * choices after its default (`order=easy-first|hard-first`), and NAME for a text setting empty by default.
 * `defaults` replaces the block's own where a command starts from others (the DDPM's subspace).
 */
export function blockSettingsLine(b: BlockName, defaults: object = BLOCK_DEFAULTS[b]): string {
  const choices: Partial<Record<string, readonly string[]>> = BLOCK_CHOICES[b];
  return Object.entries(defaults)
    .map(([k, v]) => {
      const others = (choices[k] ?? []).filter((c) => c !== v);
      return `${k}=${[v === '' ? 'NAME' : String(v), ...others].join('|')}`;
    })
    .join(',');
}

/** Each block for this method: on by default, off, or refused (and why), with the block's default settings. */
function blockLines(m: MethodDefinition<CommonOptions>): string[] {
  const width = Math.max(...BLOCK_NAMES.map((b) => b.length));
  return BLOCK_NAMES.map((b) => {
    const refused = m.refusesBlocks?.[b];
    const settings = Object.entries(BLOCK_DEFAULTS[b]).map(([k, v]) => `${k} ${shown(v)}`).join(', ');
    const state = refused !== undefined ? `cannot be used: ${refused}` : m.defaultBlocks?.[b] ? `on by default (off with --no-${b}); ${settings}` : `off (add with --${b}); ${settings}`;
    return `    ${b.padEnd(width)}  ${state}`;
  });
}

/** One method: what it does, where its defaults come from, its blocks, and each option's default. */
export function describeMethod(m: MethodDefinition<CommonOptions>): string {
  const defaults = Object.entries(m.defaults as unknown as Record<string, unknown>);
  const width = Math.max(...defaults.map(([k]) => k.length));
  const retain = typeof m.usesRetain === 'function' ? 'depends on its options' : m.usesRetain ? 'yes' : 'no';
  return [
    `Method ${m.name}: ${m.summary}`,
    `  reference: ${m.reference}`,
    `  reads D_r: ${retain}`,
    ...(m.tunedOption === undefined ? [] : [`  tuned option (lethe sweep): ${m.tunedOption}`]),
    '  blocks and their default settings (change them with --mask R or --mask-file FILE, --mask-mode, --subspace k=v,… and --curriculum k=v,…):',
    ...blockLines(m),
    '  options and defaults (set with --opt key=value, or the flags above for the common ones):',
    ...defaults.map(([k, v]) => `    ${k.padEnd(width)}  ${shown(v)}`),
  ].join('\n');
}

/** The text after the command's own help: the method table, and the method named in `argv` if any. */
export function methodHelp(methods: readonly MethodDefinition<CommonOptions>[], argv: readonly string[]): string {
  const name = methodArgument(argv);
  const chosen = name === null ? undefined : methods.find((m) => m.name === name);
  const detail =
    name === null
      ? 'Add --method NAME to --help for that method\u2019s options and defaults.'
      : chosen === undefined
        ? `Unknown method '${name}': the methods are listed above.`
        : describeMethod(chosen);
  return `\nMethods:\n${methodTable(methods)}\n\n${detail}\n`;
}
