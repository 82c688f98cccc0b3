// Bad usage exits 2 with one line naming the flag or file; failures (a corrupt checkpoint) exit 1. No stacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TINY, errorLine, runCli, tempDir } from './helpers.js';

const dir = tempDir();

function noStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace without LETHE_DEBUG=1');
}

test('usage errors exit 2 and name what is wrong', async () => {
  const unknownFlag = await runCli(['train', '--out', 'x', '--epoks', '3'], dir);
  assert.equal(unknownFlag.code, 2);
  assert.match(unknownFlag.stderr, /unknown option '--epoks'/);

  const missingOut = await runCli(['train', '--model', 'mlp'], dir);
  assert.equal(missingOut.code, 2);
  assert.match(errorLine(missingOut), /--out: required/);

  const badValue = await runCli(['train', '--train-size', 'lots', '--out', 'x'], dir);
  assert.equal(badValue.code, 2);
  assert.match(errorLine(badValue), /--train-size: 'lots' is not a number/);

  const badModel = await runCli(['train', '--model', 'vgg', '--out', 'x'], dir);
  assert.equal(badModel.code, 2);
  assert.match(errorLine(badModel), /--model: 'vgg' is not one of resnet18, resnet20, smallcnn, mlp/);

  const missingFrom = await runCli(['unlearn', '--from', 'nowhere', '--method', 'ft'], dir);
  assert.equal(missingFrom.code, 2);
  assert.match(errorLine(missingFrom), /--from: directory '.*nowhere' does not exist/);
  noStack(missingFrom.stderr);

  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model: 'mlp', 'train-siz': 10 }));
  const badConfig = await runCli(['train', '--config', 'config.json', '--out', 'x'], dir);
  assert.equal(badConfig.code, 2);
  assert.match(errorLine(badConfig), /config\.json' has unknown option 'train-siz'/);
});

test('unknown method, forget spec out of range, corrupt checkpoint', async () => {
  const train = await runCli(['train', '--model', 'mlp', ...TINY, '--epochs', '1', '--out', 'orig', '--quiet'], dir);
  assert.equal(train.code, 0, train.stderr);

  const unknown = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'forgetall'], dir);
  assert.equal(unknown.code, 2);
  assert.match(errorLine(unknown), /--method: unknown method 'forgetall'; known methods: .*salun/);

  const badOpt = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:0.1', '--method', 'ft', '--opt', 'temperature=2'], dir);
  assert.equal(badOpt.code, 2);
  assert.match(errorLine(badOpt), /--opt: method 'ft' has no option 'temperature'/);

  const range = await runCli(['unlearn', '--from', 'orig', '--forget', 'class:12', '--method', 'ft'], dir);
  assert.equal(range.code, 2);
  assert.match(errorLine(range), /--forget: .*class 12 is out of range \[0, 10\)/);

  const fraction = await runCli(['unlearn', '--from', 'orig', '--forget', 'random:1.5', '--method', 'ft'], dir);
  assert.equal(fraction.code, 2);
  assert.match(errorLine(fraction), /--forget: .*fraction must be in \(0, 1\)/);

  // flip one byte of the weights: the hash check fails, a failure (exit 1), not a usage error
  cpSync(join(dir, 'orig'), join(dir, 'corrupt'), { recursive: true });
  const weights = join(dir, 'corrupt', 'model.safetensors');
  const bytes = readFileSync(weights);
  bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
  writeFileSync(weights, bytes);
  const corrupt = await runCli(['unlearn', '--from', 'corrupt', '--forget', 'random:0.1', '--method', 'ft', '--epochs', '1'], dir);
  assert.equal(corrupt.code, 1);
  assert.match(errorLine(corrupt), /--from: checkpoint '.*corrupt': model\.safetensors does not match the manifest's hash/);
  noStack(corrupt.stderr);
  const ev = await runCli(['eval', 'corrupt', '--forget', 'random:0.1'], dir);
  assert.equal(ev.code, 1);

  // LETHE_DEBUG=1 shows the stack
  const debug = await runCli(['eval', 'corrupt', '--forget', 'random:0.1'], dir, { LETHE_DEBUG: '1' });
  assert.equal(debug.code, 1);
  assert.match(debug.stderr, /\n\s+at /);
});
