// The zip reader under torch.save files, on archives written here byte by byte: stored, deflated and padded entries,
// zip64 end records and extended-information fields (a file over 4 GB), and each kind of damage, which must be
// named rather than read past. Then `lethe import` of damaged .pt files: one line and the failure exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZipReader, looksLikeZip } from '../../src/io/zip.js';
import { loadPytorchStateDict } from '../../src/io/index.js';
import { memory } from '../../src/index.js';
import { baselineMemory } from '../baseline.js';
import { TINY, errorLine, runCli } from '../cli/helpers.js';
import { tempDir } from './fixtures.js';
import { float32Bytes, stateDict, storage, tensorV2, torchSaveArchive, Tuple, writeZip, type ZipInput } from './torch-save.js';

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const ENTRIES: ZipInput[] = [
  { name: 'a.txt', data: text('hello') },
  { name: 'dir/b.bin', data: Buffer.from(Array.from({ length: 300 }, (_, i) => i % 7)), method: 8 },
  { name: 'empty', data: Buffer.alloc(0) },
];
const contentsOf = (z: ZipReader): Record<string, string> => Object.fromEntries(z.names().map((n) => [n, z.read(n).toString('hex')]));
const EXPECTED = Object.fromEntries(ENTRIES.map((e) => [e.name, Buffer.from(e.data).toString('hex')]));
type Check = (e: unknown) => boolean;
/** The error a damaged archive must give, in full: the file, the problem, and what it means. */
const damaged = (problem: string): Check => (e) => {
  assert.ok(e instanceof Error, String(e));
  assert.match(e.message, new RegExp(`^zip archive 'test\\.zip': ${problem}; the file is corrupt, truncated or not a zip archive$`));
  return true;
};

test('stored, deflated, empty and 64-byte-aligned entries read back exactly, in directory order', () => {
  // Promise: what a zip tool or PyTorch's writer (local extra fields padding the data) writes is read as written.
  for (const align of [undefined, 64]) {
    const { bytes } = writeZip(ENTRIES, align === undefined ? {} : { align });
    assert.ok(looksLikeZip(bytes));
    const z = new ZipReader(bytes, 'test.zip');
    assert.deepEqual(z.names(), ['a.txt', 'dir/b.bin', 'empty']);
    assert.ok(z.has('dir/b.bin') && !z.has('b.bin'));
    assert.deepEqual(contentsOf(z), EXPECTED);
  }
});

test('zip64: the end record through its locator, and the 64-bit fields of exactly the saturated entry fields', () => {
  // Promise: an archive over 4 GB (its counts, sizes and offsets in zip64 records) is read; the zip64 field holds
  // only the saturated values, in the order size, compressed size, offset.
  const fieldSets = [['size', 'compressedSize', 'offset'], ['offset'], ['size'], ['compressedSize', 'offset'], []] as const;
  for (const fields of fieldSets) {
    const { bytes } = writeZip(ENTRIES, { zip64: { fields: [...fields] }, align: 64 });
    const z = new ZipReader(bytes, 'test.zip');
    assert.deepEqual(contentsOf(z), EXPECTED, `zip64 fields ${fields.join(',')}`);
  }
  // a torch.save file written as zip64 loads
  const dir = tempDir();
  const path = join(dir, 'zip64.pt');
  writeFileSync(path, torchSaveArchive(stateDict([['w', tensorV2(storage('FloatStorage', '0', 3), 0, new Tuple([3]), [1])]]), new Map([['0', float32Bytes([1.5, -2, 3.25])]]), { zip64: { fields: ['size', 'compressedSize', 'offset'] } }));
  const sd = loadPytorchStateDict(path);
  assert.deepEqual(sd.get('w')!.toArray(), [1.5, -2, 3.25]);
  sd.get('w')!.dispose();
});

test('damaged zip64 records: a missing locator, a missing record, a 64-bit value beyond 2^53', () => {
  // Promise: a damaged or hostile zip64 end of archive is named, not followed to a wrong offset.
  const good = writeZip(ENTRIES, { zip64: { fields: ['size', 'compressedSize', 'offset'] } });
  const variant = (edit: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good.bytes);
    edit(b);
    return b;
  };
  const cases: [Buffer, Check][] = [
    [variant((b) => b.writeUInt32LE(0, good.zip64Locator!)), damaged('zip64 end-of-central-directory locator missing')],
    [variant((b) => b.writeBigUInt64LE(BigInt(good.zip64Record! + 1), good.zip64Locator! + 8)), damaged('zip64 end-of-central-directory record missing')],
    [variant((b) => b.writeBigUInt64LE(BigInt(b.length - 40), good.zip64Locator! + 8)), damaged('zip64 end-of-central-directory record missing')],
    [variant((b) => b.writeBigUInt64LE(2n ** 63n, good.zip64Locator! + 8)), damaged(`a 64-bit field at byte ${good.zip64Locator! + 8} is too large`)],
    [variant((b) => b.writeBigUInt64LE(2n ** 60n, good.zip64Record! + 48)), damaged(`a 64-bit field at byte ${good.zip64Record! + 48} is too large`)],
    [variant((b) => b.writeBigUInt64LE(2n ** 53n, good.zip64Record! + 32)), damaged(`a 64-bit field at byte ${good.zip64Record! + 32} is too large`)],
    // the zip64 offset of an entry's local header, beyond 2^53 (at byte 46 + name + 4 + 16 of its central entry)
    [variant((b) => b.writeBigUInt64LE(2n ** 62n, good.entries[0]!.central + 46 + 5 + 4 + 16)), damaged(`a 64-bit field at byte ${good.entries[0]!.central + 46 + 5 + 4 + 16} is too large`)],
    // the zip64 record says the central directory lies past the end
    [variant((b) => b.writeBigUInt64LE(BigInt(b.length), good.zip64Record! + 48)), damaged(`the central directory \\(bytes ${good.bytes.length}\\.\\.\\d+\\) lies beyond the end of the file \\(${good.bytes.length} bytes\\)`)],
  ];
  for (const [bytes, pattern] of cases) assert.throws(() => new ZipReader(bytes, 'test.zip'), pattern);
  // a plain (not zip64) end record whose entry count is 0xffff asks for the locator too
  const plain = writeZip(ENTRIES);
  const b = Buffer.from(plain.bytes);
  b.writeUInt16LE(0xffff, plain.endOfCentralDirectory + 10);
  assert.throws(() => new ZipReader(b, 'test.zip'), damaged('zip64 end-of-central-directory locator missing'));
});

test('a damaged end record or central directory is named before any entry is read', () => {
  // Promise: a truncated or overwritten archive gives an error saying where it is damaged.
  const good = writeZip(ENTRIES);
  const variant = (edit: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good.bytes);
    edit(b);
    return b;
  };
  const c0 = good.entries[0]!.central;
  const cases: [Buffer, Check][] = [
    [text('PK\x05\x06 not an archive'), damaged('it does not start with a zip signature \\(PK\\\\x03\\\\x04\\)')],
    [good.bytes.subarray(0, good.endOfCentralDirectory), damaged('no end-of-central-directory record')],
    [variant((b) => b.writeUInt32LE(good.bytes.length, good.endOfCentralDirectory + 16)), damaged(`the central directory \\(bytes ${good.bytes.length}\\.\\.\\d+\\) lies beyond the end of the file \\(${good.bytes.length} bytes\\)`)],
    [variant((b) => b.writeUInt32LE(0xdeadbeef, good.entries[1]!.central)), damaged('central directory entry 1 is damaged')],
    [variant((b) => b.writeUInt16LE(0xfff0, c0 + 28)), damaged('central directory entry 0 runs past the end of the file')],
    [variant((b) => b.writeUInt16LE(1, c0 + 8)), damaged("entry 'a\\.txt' is encrypted")],
  ];
  for (const [bytes, pattern] of cases) assert.throws(() => new ZipReader(bytes, 'test.zip'), pattern);
});

test('reading an entry: missing, a damaged local header, data past the end, an unknown method, a wrong size or CRC', () => {
  // Promise: each way an entry can be damaged gives its own clear error instead of wrong bytes or a crash.
  const good = writeZip(ENTRIES, { align: 64 });
  const readAfter = (edit: (b: Buffer) => void, name = 'a.txt'): (() => Buffer) => {
    const b = Buffer.from(good.bytes);
    edit(b);
    return () => new ZipReader(b, 'test.zip').read(name);
  };
  const [a, bin] = good.entries as [(typeof good.entries)[0], (typeof good.entries)[0]];
  assert.throws(() => new ZipReader(good.bytes, 'test.zip').read('nope.txt'), damaged("entry 'nope\\.txt' is missing"));
  const cases: [() => Buffer, Check][] = [
    [readAfter((b) => b.writeUInt32LE(0, bin.local), 'dir/b.bin'), damaged("the local header of entry 'dir/b\\.bin' is damaged")],
    [readAfter((b) => b.writeUInt32LE(b.length - 10, a.central + 42)), damaged("the local header of entry 'a\\.txt' is damaged")],
    // the local header's name and extra lengths push the data past the end
    [readAfter((b) => b.writeUInt16LE(0xffff, a.local + 28)), damaged(`entry 'a\\.txt' \\(bytes \\d+\\.\\.\\d+\\) extends beyond the end of the file \\(${good.bytes.length} bytes\\)`)],
    [readAfter((b) => b.writeUInt32LE(1_000_000, a.central + 20)), damaged(`entry 'a\\.txt' \\(bytes ${a.data}\\.\\.${a.data + 1_000_000}\\) extends beyond the end of the file \\(${good.bytes.length} bytes\\)`)],
    [readAfter((b) => b.writeUInt16LE(12, a.central + 10)), damaged("entry 'a\\.txt' uses compression method 12; only stored \\(0\\) and deflate \\(8\\) are supported")],
    [readAfter((b) => b.writeUInt32LE(6, a.central + 24)), damaged("entry 'a\\.txt' has 5 bytes, the directory says 6")],
    [readAfter((b) => b.writeUInt32LE(4, a.central + 20)), damaged("entry 'a\\.txt' has 4 bytes, the directory says 5")],
    [readAfter((b) => (b[a.data] = 0x48)), damaged("entry 'a\\.txt' fails its CRC-32 check")],
    [readAfter((b) => b.writeUInt32LE(0xffffffff, bin.data), 'dir/b.bin'), damaged("entry 'dir/b\\.bin' cannot be inflated \\(.*\\)")],
    [readAfter((b) => b.writeUInt16LE(8, a.central + 10)), damaged("entry 'a\\.txt' cannot be inflated \\(.*\\)")],
  ];
  for (const [read, pattern] of cases) assert.throws(read, pattern);
  // the other entries of an archive with one damaged entry still read
  const b = Buffer.from(good.bytes);
  b.writeUInt16LE(12, a.central + 10);
  assert.equal(new ZipReader(b, 'test.zip').read('dir/b.bin').toString('hex'), EXPECTED['dir/b.bin']);
});

test('lethe import of a damaged .pt file: one line naming the problem, the failure exit code, nothing leaked', async () => {
  // Promise: a corrupt checkpoint is a failure of the file (exit 1, src/cli/errors.ts), reported in one line that
  // names the file and the damage: never a stack trace or a native crash. The library gives the same message and
  // frees what it read.
  const dir = tempDir();
  const root = stateDict([['w', tensorV2(storage('FloatStorage', '0', 4), 0, new Tuple([2, 2]), [2, 1])]]);
  const storages = new Map([['0', float32Bytes([1, 2, 3, 4])]]);
  const good = torchSaveArchive(root, storages);
  const bytes = (edit: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good);
    edit(b);
    return b;
  };
  const local = (name: string): number => good.indexOf(Buffer.from(name)) - 30; // the name's first occurrence follows its local header
  const central = (name: string): number => good.lastIndexOf(Buffer.from(name)) - 46; // and its last, its central entry
  const cases: [string, Buffer, RegExp][] = [
    ['local.pt', bytes((b) => b.writeUInt32LE(0, local('archive/data/0'))), /zip archive '.*local\.pt': the local header of entry 'archive\/data\/0' is damaged/],
    ['method.pt', bytes((b) => b.writeUInt16LE(14, central('archive/data.pkl') + 10)), /zip archive '.*method\.pt': entry 'archive\/data\.pkl' uses compression method 14; only stored \(0\) and deflate \(8\) are supported; the file is corrupt/],
    ['storage.pt', torchSaveArchive(root, new Map([['0', float32Bytes([1, 2, 3])]])), /PyTorch file '.*storage\.pt': storage '0' has 12 bytes, but 4 elements of float32 need 16/],
  ];
  for (const [name, data, pattern] of cases) {
    writeFileSync(join(dir, name), data);
    const before = baselineMemory();
    assert.throws(() => loadPytorchStateDict(join(dir, name)), pattern);
    assert.deepEqual(memory(), before, `${name}: a failed load leaked tensors`);
    const r = await runCli(['import', name, '--model', 'mlp', ...TINY, '--out', 'x'], dir, { LETHE_NUM_THREADS: '1' });
    assert.equal(r.code, 1, `${name}: ${r.stderr}`);
    assert.match(errorLine(r), new RegExp(`^lethe: ${pattern.source}`));
    assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: not a one-line report:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /^\s+at |Error:|Assertion|terminate called/m, `${name}: not a one-line report:\n${r.stderr}`);
  }
});
