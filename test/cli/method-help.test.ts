// `lethe unlearn|sweep --method NAME --help`: the method's options and defaults, read from its registered definition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockSettingsLine, describeMethod, methodArgument, methodHelp, shown } from '../../src/cli/method-help.js';
import { BLOCK_CHOICES, BLOCK_DEFAULTS, BLOCK_NAMES, BLOCK_SETTINGS, getMethod, methodNames } from '../../src/unlearn/index.js';
import { runBlocks } from '../../src/unlearn/run.js';
import { DDPM_SUBSPACE, SUBSPACE_DEFAULTS } from '../../src/unlearn/blocks/settings.js';
import { runCli, tempDir } from './helpers.js';
import { escapeRegExp } from '../regexp.js';

test('methodArgument reads --method NAME and --method=NAME, and nothing else', () => {
  assert.equal(methodArgument(['unlearn', '--method', 'bs', '--help']), 'bs');
  assert.equal(methodArgument(['sweep', '--help', '--method=salun-soft']), 'salun-soft');
  assert.equal(methodArgument(['unlearn', '--help']), null);
  assert.equal(methodArgument(['unlearn', '--help', '--method']), null, 'a trailing --method names nothing');
  assert.equal(methodArgument(['unlearn', '--method', '--help']), null, 'nor does one followed by a flag');
});

test('every method: its help names each option with its default, its reference and each block\u2019s state', () => {
  for (const name of methodNames()) {
    const m = getMethod(name);
    const text = describeMethod(m);
    for (const b of ['mask', 'subspace', 'curriculum'] as const) {
      const refused = m.refusesBlocks?.[b];
      const state = refused !== undefined ? `cannot be used: ${refused}` : m.defaultBlocks?.[b] ? `on by default (off with --no-${b}); ` : `off (add with --${b}); `;
      assert.match(text, new RegExp(`\\n    ${b} +${escapeRegExp(state)}`), `${name}: block ${b}`);
    }
    assert.ok(text.startsWith(`Method ${name}: ${m.summary}`), name);
    assert.ok(text.includes(m.reference), `${name}: the reference`);
    for (const [k, v] of Object.entries(m.defaults as unknown as Record<string, unknown>)) {
      assert.ok(shown(v).length > 0, `${name}: option ${k} is shown`);
      assert.match(text, new RegExp(`\\n    ${k} +${escapeRegExp(shown(v))}(\\n|$)`), `${name}: option ${k} = ${shown(v)}`);
    }
  }
  assert.match(describeMethod(getMethod('salun')), /\n    mask +on by default \(off with --no-mask\); ratio 0\.5, mode update\n/);
  assert.match(describeMethod(getMethod('cufg')), /\n    curriculum +on by default \(off with --no-curriculum\); stages 3, epochsPerStage 2, score loss, order easy-first, batchSize 256, partial false\n/);
  assert.match(describeMethod(getMethod('ft')), /\n    mask +off \(add with --mask\); ratio 0\.5/);
  assert.match(describeMethod(getMethod('ft')), /\n    curriculum +cannot be used: it trains on D_r alone and never reads D_f/);
  // SEMU's BatchNorm setting is the subspace's, not an --opt: the help shows it there, with its default
  assert.match(describeMethod(getMethod('semu')), /\n    subspace +on by default \(off with --no-subspace\); gamma 0\.95, projection orthogonal, rankRule reference, channelRanks max, fullRank \(empty\), bnMode eval\n/);
  assert.match(describeMethod(getMethod('ga')), /reads D_r: no/);
  assert.match(describeMethod(getMethod('iu')), /tuned option \(lethe sweep\): alpha/);
});

test('methodHelp: the table always, one method in detail when named, an unknown name said so', () => {
  const all = methodNames().map((m) => getMethod(m));
  const plain = methodHelp(all, ['unlearn', '--help']);
  for (const name of methodNames()) assert.match(plain, new RegExp(`\\n  ${name} +\\S`), name);
  assert.match(plain, /Add --method NAME to --help/);
  assert.doesNotMatch(plain, /^Method /m);
  assert.match(methodHelp(all, ['--method', 'bs', '--help']), /\nMethod bs: [^\n]*\n[\s\S]*\n    bnMode +train\n/);
  assert.match(methodHelp(all, ['--method', 'nope', '--help']), /Unknown method 'nope': the methods are listed above/);
});

test('the CLI prints it: unlearn --method be --help and sweep --method=ga -h, exit 0', async () => {
  const cwd = tempDir();
  const be = await runCli(['unlearn', '--method', 'be', '--help'], cwd);
  assert.equal(be.code, 0, be.stderr);
  assert.match(be.stdout, /Method be: /);
  assert.match(be.stdout, /\n    keepShadow +false\n/);
  assert.match(be.stdout, /\n    bnMode +train\n/);
  const ga = await runCli(['sweep', '--method=ga', '-h'], cwd);
  assert.equal(ga.code, 0, ga.stderr);
  assert.match(ga.stdout, /\nMethod ga: [\s\S]*\n    lr +0\.0001\n/);
  assert.match(ga.stdout, /Examples:/, 'the examples still follow');
});

test('unlearn --help: the --subspace and --curriculum lines name every setting their block takes', async () => {
  const help = await runCli(['unlearn', '--help'], tempDir());
  assert.equal(help.code, 0, help.stderr);
  const text = help.stdout.replace(/\s+/g, ' ');
  for (const block of ['subspace', 'curriculum'] as const) {
    const line = new RegExp(`--${block} \\[settings\\] (.*?) --no-${block} `).exec(text)?.[1];
    assert.ok(line !== undefined, `--${block}'s line`);
    for (const key of BLOCK_SETTINGS[block]) assert.ok(line.includes(`${key}=`), `--${block}: ${key} is not listed in '${line}'`);
    assert.equal(line.replace(/^.*block: /, ''), blockSettingsLine(block), `--${block}: the line is the one built from the tables`);
  }
});

test('blockSettingsLine: each setting with its default first, then the other choices (known lines)', () => {
  assert.equal(blockSettingsLine('subspace'), 'gamma=0.95,projection=orthogonal|reference|none,rankRule=reference|reach,channelRanks=max|per-channel,fullRank=NAME,bnMode=eval|train');
  assert.equal(blockSettingsLine('curriculum'), 'stages=3,epochsPerStage=2,score=loss|confidence|entropy,order=easy-first|hard-first,batchSize=256,partial=false');
  assert.equal(blockSettingsLine('mask'), 'ratio=0.5,mode=update|grad');
  // lethe diffusion unlearn --subspace: the DDPM reference's defaults in place of the classification block's
  assert.equal(blockSettingsLine('subspace', { ...SUBSPACE_DEFAULTS, ...DDPM_SUBSPACE }), 'gamma=0.95,projection=orthogonal|reference|none,rankRule=reference|reach,channelRanks=per-channel|max,fullRank=attn');
});

test('every choice the block tables list passes the checks, and a choice they do not list is refused by name', () => {
  const methodFor = { mask: 'salun', subspace: 'semu', curriculum: 'cufg' } as const;
  for (const b of BLOCK_NAMES) {
    const choices: Partial<Record<string, readonly string[]>> = BLOCK_CHOICES[b];
    for (const [key, list] of Object.entries(choices)) {
      assert.ok(list !== undefined && list.includes(String((BLOCK_DEFAULTS[b] as Record<string, unknown>)[key])), `${b}.${key}: the default is a choice`);
      for (const c of list) assert.doesNotThrow(() => runBlocks(methodFor[b], { [b]: { [key]: c } }, { forgetSize: 30 }), `${b}.${key}=${c}`);
      assert.throws(
        () => runBlocks(methodFor[b], { [b]: { [key]: 'bogus' } }, { forgetSize: 30 }),
        (e: Error) => list.every((c) => e.message.includes(`'${c}'`)) && e.message.toLowerCase().includes(key.toLowerCase()),
        `${b}.${key}=bogus is refused, naming ${list.join(', ')}`,
      );
    }
  }
});
