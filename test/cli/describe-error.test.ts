// The CLI's one-line error: the first line of the message, trimmed, with what it quotes from a damaged input made
// printable; an interruption says what was kept; LETHE_DEBUG=1 gives the stack instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeError, exitCodeFor, InterruptedError, UsageError } from '../../src/cli/errors.js';
import { printable } from '../../src/io/printable.js';

test('describeError: the first line only, control characters escaped, never a stack', () => {
  const saved = process.env['LETHE_DEBUG'];
  delete process.env['LETHE_DEBUG'];
  try {
    assert.equal(describeError(new Error('  --data: no such file  \n    at somewhere (x.js:1:1)')), '--data: no such file');
    // a JSON fragment quoted from a damaged file: a carriage return, an escape sequence, DEL, a line separator
    assert.equal(describeError(new Error("unexpected token in 'a\r\u001b[2Jb\u007f\u2028c'")), "unexpected token in 'a\\x0d\\x1b[2Jb\\x7f\\u2028c'");
    assert.equal(describeError('plain string'), 'plain string');
    const abort = new Error('x');
    abort.name = 'AbortError';
    assert.match(describeError(abort), /^interrupted: nothing partial was left looking complete/);
    assert.equal(exitCodeFor(new UsageError('u')), 2);
    assert.equal(exitCodeFor(new InterruptedError('i')), 130);
    assert.equal(exitCodeFor(new Error('e')), 1);
    process.env['LETHE_DEBUG'] = '1';
    assert.match(describeError(new Error('deep')), /^Error: deep\n\s+at /);
  } finally {
    if (saved === undefined) delete process.env['LETHE_DEBUG'];
    else process.env['LETHE_DEBUG'] = saved;
  }
});

test('printable: letters of any script unchanged; tab, newline, NUL and C1 controls escaped', () => {
  assert.equal(printable('Résnet 𝛼 – ok'), 'Résnet 𝛼 – ok');
  assert.equal(printable('a\tb\nc\u0000\u0085'), 'a\\x09b\\x0ac\\x00\\x85');
});
