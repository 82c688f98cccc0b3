// The restricted unpickler on hand-written opcode streams (pickletools notation in the comments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PyDict, PyGlobal, PyTuple, unpickle, type PyValue } from '../../src/io/pickle.js';

const refuseAll = (module: string, name: string): PyGlobal => {
  throw new Error(`global ${module}.${name} refused`);
};
const load = (bytes: number[] | string, resolveGlobal = refuseAll): PyValue =>
  unpickle(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Uint8Array.from(bytes), { source: 'test.pkl', resolveGlobal });

test('integers of every width, floats, bools, None', () => {
  assert.equal(load([0x80, 2, 0x4b, 200, 0x2e]), 200); // BININT1
  assert.equal(load([0x80, 2, 0x4d, 0x34, 0x12, 0x2e]), 0x1234); // BININT2
  assert.equal(load([0x80, 2, 0x4a, 0xfe, 0xff, 0xff, 0xff, 0x2e]), -2); // BININT
  assert.equal(load([0x80, 2, 0x8a, 1, 0xff, 0x2e]), -1); // LONG1 two's complement
  assert.equal(load([0x80, 2, 0x8a, 2, 0x00, 0x80, 0x2e]), -32768);
  assert.equal(load([0x80, 2, 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x2e]), 2n ** 64n); // beyond 2^53: bigint
  assert.equal(load([0x80, 2, 0x8a, 0, 0x2e]), 0);
  assert.equal(load([0x80, 2, 0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x2e]), 1.5); // BINFLOAT is big-endian
  assert.equal(load([0x88, 0x2e]), true);
  assert.equal(load([0x89, 0x2e]), false);
  assert.equal(load([0x4e, 0x2e]), null);
  assert.equal(load('I42\n.'), 42); // protocol 0 text INT
  assert.equal(load('I01\n.'), true);
  assert.equal(load('L-12345678901234567890L\n.'), -12345678901234567890n);
  assert.equal(load('F0.25\n.'), 0.25);
});

test('strings, containers and the memo', () => {
  // EMPTY_DICT BINPUT 0 MARK SHORT_BINUNICODE 'é' EMPTY_LIST BINPUT 1 K 1 APPEND BINGET 1 TUPLE2 SETITEMS STOP
  const v = load([0x80, 4, 0x7d, 0x71, 0, 0x28, 0x8c, 2, 0xc3, 0xa9, 0x5d, 0x71, 1, 0x4b, 1, 0x61, 0x68, 1, 0x86, 0x75, 0x2e]);
  assert.ok(v instanceof PyDict);
  const t = v.map.get('é');
  assert.ok(t instanceof PyTuple);
  assert.deepEqual(t.items[0], [1]);
  assert.equal(t.items[0], t.items[1], 'memo returns the same object');
  assert.deepEqual(load([0x43, 2, 0x61, 0x62, 0x2e]), Uint8Array.from([0x61, 0x62])); // SHORT_BINBYTES
  assert.equal(load([0x55, 2, 0xe9, 0x41, 0x2e]), 'éA'); // SHORT_BINSTRING as latin-1
});

test('globals go through the resolver; REDUCE calls only allowed callables', () => {
  const resolver = (module: string, name: string): PyGlobal => {
    if (module === 'collections' && name === 'OrderedDict') return new PyGlobal(module, name, () => new PyDict('OrderedDict'));
    if (module === 'torch' && name === 'FloatStorage') return new PyGlobal(module, name);
    throw new Error(`global ${module}.${name} refused`);
  };
  const od = load('\x80\x02ccollections\nOrderedDict\n)R.', resolver);
  assert.ok(od instanceof PyDict && od.className === 'OrderedDict');
  assert.throws(() => load('\x80\x02cposix\nsystem\nX\x04\x00\x00\x00trueR.', resolver), /global posix\.system refused/);
  // A non-callable global cannot be called.
  assert.throws(() => load('\x80\x02ctorch\nFloatStorage\n)R.', resolver), /REDUCE calls torch\.FloatStorage, which is not an allowed callable/);
  // STACK_GLOBAL (protocol 4) is resolved the same way.
  assert.throws(() => load('\x80\x04\x8c\x05posix\x8c\x06system\x93.', resolver), /global posix\.system refused/);
});

test('malformed or unsupported streams throw errors naming the data', () => {
  const cases: [number[] | string, RegExp][] = [
    [[0x80, 2, 0x58, 5, 0, 0, 0, 0x61], /pickle data in 'test\.pkl': truncated at byte 7/],
    [[0x80, 2], /truncated at byte 2/],
    [[0x80, 2, 0x4b, 1, 0x4b, 2, 0x2e], /STOP with 2 items on the stack/],
    [[0x80, 2, 0x61, 0x2e], /stack underflow/],
    [[0x80, 2, 0x68, 7, 0x2e], /memo entry 7 read before it was written/],
    ['(i__main__\nEvil\n.', /unsupported opcode 0x69/], // INST: instantiate an arbitrary class
    [[0x80, 2, 0x82, 1, 0x2e], /unsupported opcode 0x82/], // EXT1
    [[0x80, 6, 0x2e], /protocol above 5/],
    [[0x80, 2, 0x5d, 0x4b, 1, 0x4b, 2, 0x73, 0x2e], /SETITEM\(S\) on a list/],
    [[0x80, 2, 0x51, 0x2e], /stack underflow|persistent/],
  ];
  for (const [bytes, pattern] of cases) assert.throws(() => load(bytes), pattern);
});
