// `lethe unlearn|sweep --method NAME --help`: the method's options and defaults, read from its registered definition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeMethod, methodArgument, methodHelp } from '../../src/cli/method-help.js';
import { getMethod, methodNames } from '../../src/unlearn/index.js';
import { runCli, tempDir } from './helpers.js';
import { escapeRegExp } from '../regexp.js';

test('methodArgument reads --method NAME and --method=NAME, and nothing else', () => {
  assert.equal(methodArgument(['unlearn', '--method', 'bs', '--help']), 'bs');
  assert.equal(methodArgument(['sweep', '--help', '--method=salun-soft']), 'salun-soft');
  assert.equal(methodArgument(['unlearn', '--help']), null);
  assert.equal(methodArgument(['unlearn', '--help', '--method']), null, 'a trailing --method names nothing');
  assert.equal(methodArgument(['unlearn', '--method', '--help']), null, 'nor does one followed by a flag');
});

test('every method: its help names each option with its default, its reference and its default blocks', () => {
  for (const name of methodNames()) {
    const m = getMethod(name);
    const text = describeMethod(m);
    assert.ok(text.startsWith(`Method ${name}: ${m.summary}`), name);
    assert.ok(text.includes(m.reference), `${name}: the reference`);
    for (const [k, v] of Object.entries(m.defaults as unknown as Record<string, unknown>)) {
      const shown = typeof v === 'string' ? v : JSON.stringify(v);
      assert.match(text, new RegExp(`\\n    ${k} +${escapeRegExp(shown)}(\\n|$)`), `${name}: option ${k} = ${shown}`);
    }
  }
  assert.match(describeMethod(getMethod('salun')), /blocks on by default: mask \(off with --no-mask\)/);
  assert.match(describeMethod(getMethod('cufg')), /blocks on by default: curriculum \(off with --no-curriculum\)/);
  assert.doesNotMatch(describeMethod(getMethod('ft')), /blocks on by default/);
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
