// Seeded random damage to valid files: every mutation of a torch.save pickle (written into a fresh archive, so its
// CRC matches and the bytes reach the unpickler) and of a safetensors header either loads or is refused with one
// line that names the file, says what is wrong and what to do; never a TypeError from deep inside, a hang or a
// leaked tensor. The same seed damages the same bytes, so a failure here reproduces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPytorchCheckpoint, parseSafetensors, serializeSafetensors } from '../../src/io/index.js';
import { Rng } from '../../src/data/index.js';
import { memory, tensor } from '../../src/index.js';
import { baselineMemory } from '../baseline.js';
import { escapeRegExp } from '../regexp.js';
import { tempDir } from './fixtures.js';
import { Dict, float32Bytes, Global, int64Bytes, pickle, PSet, stateDict, storage, tensorV2, tensorV3, Tuple, writeZip } from './torch-save.js';

const dir = tempDir();

/** Overwrites 1 to 3 random bytes of `good` within its first `span` bytes (seeded: the same damage on every run). */
function damage(good: Uint8Array, span: number, rng: Rng): Buffer {
  const b = Buffer.from(good);
  const n = 1 + rng.uniformInt(3);
  for (let i = 0; i < n; i++) b[rng.uniformInt(span)] = rng.uniformInt(256);
  return b;
}

/** Loads, disposing what loaded; returns null or the error's message (asserting it is an Error of one line). */
function attempt(load: () => { tensors: Map<string, { dispose(): void }> }): string | null {
  try {
    load().tensors.forEach((t) => t.dispose());
    return null;
  } catch (e) {
    assert.ok(e instanceof Error, `threw ${String(e)}`);
    assert.ok(!(e instanceof TypeError) && !(e instanceof RangeError), `${e.name}: ${e.message}`);
    assert.equal(e.message.split('\n').length, 1, e.message);
    return e.message;
  }
}

// a state dict as torch.save writes it (float weights through _rebuild_tensor_v2, an int64 scalar through v3, a
// shared storage) beside plain data: a set, an int, a str, a long
const ROOT = new Dict([
  ['model', stateDict([
    ['w', tensorV2(storage('FloatStorage', '0', 4), 0, new Tuple([2, 2]), [2, 1])],
    ['b', tensorV2(storage('FloatStorage', '0', 4), 2, new Tuple([2]), [1])],
    ['n', tensorV3(storage('LongStorage', '1', 1), 0, new Tuple([]), [], new Global('torch', 'int64'))],
  ])],
  ['classes', new PSet([1, 2])],
  ['epoch', 7],
  ['name', 'résnet'],
  ['big', 2n ** 70n],
]);

for (const protocol of [2, 4] as const) {
  test(`a torch.save pickle (protocol ${protocol}) with random bytes overwritten loads or is refused in one clear line`, () => {
    const good = pickle(ROOT, protocol);
    const path = join(dir, `damaged-${protocol}.pt`);
    const archive = (pkl: Uint8Array): Buffer =>
      writeZip([
        { name: 'a/data.pkl', data: pkl },
        { name: 'a/byteorder', data: Buffer.from('little') },
        { name: 'a/data/0', data: float32Bytes([1, 2, 3, 4]) },
        { name: 'a/data/1', data: int64Bytes([5]) },
        { name: 'a/version', data: Buffer.from('3\n') },
      ], { align: 64 }).bytes;
    writeFileSync(path, archive(good));
    assert.equal(attempt(() => loadPytorchCheckpoint(path)), null, 'the undamaged file loads');
    const before = baselineMemory();
    const rng = new Rng(protocol);
    const shape = new RegExp(`^PyTorch file '${escapeRegExp(path)}': .+\\. \\S.*$`);
    let loaded = 0;
    const problems = new Set<string>();
    for (let i = 0; i < 600; i++) {
      writeFileSync(path, archive(damage(good, good.length, rng)));
      const message = attempt(() => loadPytorchCheckpoint(path));
      if (message === null) loaded++;
      else {
        assert.match(message, shape, 'names the file, then the problem, then what to do');
        problems.add(message.replace(/\d+/g, 'N'));
      }
    }
    assert.deepEqual(memory(), before, 'a refused or loaded file leaked tensors');
    // the damage reaches both outcomes and many different checks (not one early refusal)
    assert.ok(loaded > 0 && loaded < 300, `${loaded} of 600 loaded`);
    assert.ok(problems.size > 50, `only ${problems.size} distinct refusals`);
  });
}

test('a safetensors header with random bytes overwritten loads or is refused in one clear line', () => {
  const a = tensor([[1, 2], [3, 4]]);
  const b = tensor([5, 6, 7]);
  const good = serializeSafetensors(new Map([['a', a], ['b.c', b]]), { k: 'v' });
  a.dispose();
  b.dispose();
  const headerEnd = 8 + Number(good.readBigUInt64LE(0));
  const before = baselineMemory();
  const rng = new Rng(11);
  let loaded = 0;
  for (let i = 0; i < 3000; i++) {
    const message = attempt(() => parseSafetensors(damage(good, headerEnd, rng), 'damaged.safetensors'));
    if (message === null) loaded++;
    else assert.match(message, /^safetensors file 'damaged\.safetensors': .+; \S.*$/);
  }
  assert.deepEqual(memory(), before);
  assert.ok(loaded > 0 && loaded < 1500, `${loaded} of 3000 loaded`);
});

test('what a damaged file holds is quoted with its control characters escaped', () => {
  // Promise: a refusal stays one readable line even when the name it quotes holds a carriage return or an escape
  // sequence (seen above: random damage turned torch.LongStorage into torch.Lon\rStorage).
  const path = join(dir, 'control.pt');
  const pkl = pickle(new Dict([['sd', stateDict([['w', tensorV2(storage('Lon\rStorage', '0', 1), 0, new Tuple([1]), [1])]])]]), 2);
  writeFileSync(path, writeZip([{ name: 'a/data.pkl', data: pkl }, { name: 'a/data/0', data: int64Bytes([1]) }]).bytes);
  assert.throws(() => loadPytorchCheckpoint(path), (e: Error) => e.message.includes('torch.Lon\\x0dStorage, which Lethe does not support') && !/[\r\n]/.test(e.message));
  const header = JSON.stringify({ 'x\u001b[2J\u2028': { dtype: 'Q8', shape: [1], data_offsets: [0, 1] } });
  const file = Buffer.concat([Buffer.alloc(8), Buffer.from(header), Buffer.alloc(1)]);
  file.writeBigUInt64LE(BigInt(Buffer.byteLength(header)), 0);
  assert.throws(() => parseSafetensors(file, 'control.safetensors'), (e: Error) => e.message.includes("tensor 'x\\x1b[2J\\u2028' has unknown dtype \"Q8\"") && !/[\u0000-\u001f\u2028]/.test(e.message));
});
