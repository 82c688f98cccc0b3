// PyTorch torch.save files: every fixture written by PyTorch 1.13 loads to the exact values; files that are not a
// tensor dict, unsafe pickles and damaged archives throw useful errors; memory returns to baseline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memory, tidy, type Tensor } from '../../src/index.js';
import { loadPytorchCheckpoint, loadPytorchStateDict } from '../../src/io/index.js';
import { assertTensorEquals, fixturePath, tempDir, type ExpectedTensor } from './fixtures.js';
import { escapeRegExp } from '../regexp.js';
import { baselineMemory } from '../baseline.js';

type Expected = { key: string | null; tensors: Record<string, ExpectedTensor> } | { error: string };

function expectedFor(name: string): Expected {
  return JSON.parse(readFileSync(fixturePath('pytorch', `${name}.expected.json`), 'utf8')) as Expected;
}

const fixtures = readdirSync(fixturePath('pytorch'))
  .filter((f) => f.endsWith('.pt'))
  .map((f) => f.slice(0, -3))
  .sort();

function dispose(m: Map<string, Tensor>): void {
  for (const t of m.values()) t.dispose();
}

test('the fixture set is complete', () => {
  for (const name of ['state_dict', 'plain_dict', 'protocol4', 'nested', 'views', 'dtypes', 'parameter', 'deflated', 'list', 'unsafe_global', 'legacy', 'no_tensors', 'torchscript']) {
    assert.ok(fixtures.includes(name), `missing fixture ${name}.pt (run scripts/make-fixtures.py)`);
  }
});

for (const name of fixtures) {
  const expected = expectedFor(name);
  if ('error' in expected) {
    test(`${name}.pt is rejected with a clear error`, () => {
      const path = fixturePath('pytorch', `${name}.pt`);
      const before = baselineMemory();
      assert.throws(() => loadPytorchStateDict(path), (e: Error) => {
        assert.ok(e.message.includes(`PyTorch file '${path}'`), e.message);
        assert.ok(e.message.includes(expected.error), `expected '${expected.error}' in: ${e.message}`);
        return true;
      });
      assert.deepEqual(memory(), before, 'a failed load leaked tensors');
    });
  } else {
    test(`${name}.pt loads to the exact values PyTorch saved`, () => {
      const { tensors, key } = loadPytorchCheckpoint(fixturePath('pytorch', `${name}.pt`));
      try {
        assert.equal(key, expected.key);
        // Same keys, same order as the saved dict.
        assert.deepEqual([...tensors.keys()], Object.keys(expected.tensors));
        for (const [k, e] of Object.entries(expected.tensors)) {
          const t = tensors.get(k)!;
          assertTensorEquals(t, e, `${name}:${k}`);
          assert.ok(t.isContiguous(), `${name}:${k} should be contiguous`);
          assert.equal(t.device, 'cpu');
        }
      } finally {
        dispose(tensors);
      }
    });
  }
}

test('state_dict: num_batches_tracked is int64 and equals 3 (three training-mode passes)', () => {
  const sd = loadPytorchStateDict(fixturePath('pytorch', 'state_dict.pt'));
  try {
    const n = sd.get('bn.num_batches_tracked')!;
    assert.equal(n.dtype, 'int64');
    assert.deepEqual(n.shape, []);
    assert.equal(n.item(), 3);
    assert.deepEqual(sd.get('conv.weight')!.shape, [2, 1, 3, 3]);
  } finally {
    dispose(sd);
  }
});

test('views: shared and strided storages become independent contiguous tensors', () => {
  const sd = loadPytorchStateDict(fixturePath('pytorch', 'views.pt'));
  try {
    // base = arange(24).reshape(4, 6); shared = arange(10) * 0.5
    assert.deepEqual(sd.get('transposed')!.shape, [6, 4]);
    assert.deepEqual((sd.get('transposed')!.toArray() as number[][])[1], [1, 7, 13, 19]);
    assert.deepEqual(sd.get('strided')!.toArray(), [[6, 8, 10], [12, 14, 16], [18, 20, 22]]);
    assert.deepEqual(sd.get('view_a')!.toArray(), [0, 0.5, 1, 1.5]);
    assert.deepEqual(sd.get('view_b')!.toArray(), [[1.5, 2, 2.5], [3, 3.5, 4]]);
    assert.deepEqual(sd.get('expanded')!.toArray(), [[1.5, -2], [1.5, -2], [1.5, -2]]);
    assert.equal(sd.get('scalar')!.item(), 7.25);
    assert.deepEqual(sd.get('empty')!.shape, [0, 3]);
    // Independent: view_a and view_b overlapped in the file's storage, but not in memory.
    assert.notEqual(sd.get('view_a')!.dataPtr(), sd.get('view_b')!.dataPtr());
    sd.get('view_a')!.mul_(0);
    assert.deepEqual(sd.get('view_b')!.toArray(), [[1.5, 2, 2.5], [3, 3.5, 4]]);
  } finally {
    dispose(sd);
  }
});

test('nested checkpoint: the tensors under state_dict, the key used, and the other entries', () => {
  const ck = loadPytorchCheckpoint(fixturePath('pytorch', 'nested.pt'));
  try {
    assert.equal(ck.key, 'state_dict');
    assert.equal(ck.tensors.size, 9);
    assert.deepEqual(ck.extras, {
      epoch: 3,
      best_acc: 0.875,
      config: { lr: 0.1, milestones: [10, 20], betas: [0.9, 0.999], name: 'tiny', nesterov: true, wd: null, big: 2n ** 70n, neg: -300 },
    });
  } finally {
    dispose(ck.tensors);
  }
  const explicit = loadPytorchStateDict(fixturePath('pytorch', 'nested.pt'), { key: 'state_dict' });
  assert.equal(explicit.size, 9);
  dispose(explicit);
  assert.throws(() => loadPytorchStateDict(fixturePath('pytorch', 'nested.pt'), { key: 'optimizer' }), /no entry 'optimizer'.*Top-level keys: epoch, best_acc, config, state_dict/);
  assert.throws(() => loadPytorchStateDict(fixturePath('pytorch', 'nested.pt'), { key: 'config' }), /entry 'config' holds a dict, not a dict of tensors/);
});

test('the unsafe pickle is refused before anything runs, naming the global', () => {
  assert.throws(() => loadPytorchStateDict(fixturePath('pytorch', 'unsafe_global.pt')), /refers to posix\.system, which Lethe refuses to load/);
});

test('damaged archives throw errors naming the file and the problem', () => {
  const dir = tempDir();
  const good = readFileSync(fixturePath('pytorch', 'state_dict.pt'));
  const write = (name: string, bytes: Uint8Array): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  const before = baselineMemory();

  const magic = Buffer.from(good);
  magic.write('XX', 0, 'latin1');
  const pMagic = write('magic.pt', magic);
  assert.throws(() => loadPytorchStateDict(pMagic), new RegExp(`PyTorch file '${escapeRegExp(pMagic)}': it is not a zip archive`));

  const pTrunc = write('truncated.pt', good.subarray(0, Math.floor(good.length / 2)));
  assert.throws(() => loadPytorchStateDict(pTrunc), new RegExp(`zip archive '${escapeRegExp(pTrunc)}': no end-of-central-directory record.*truncated`));

  // Flip one byte of the first storage: the CRC check catches it.
  const flipped = Buffer.from(good);
  // The first occurrence of the name is in its local header (30 fixed bytes, name, extra field, then data).
  const header = good.indexOf(Buffer.from('state_dict/data/0')) - 30;
  assert.equal(good.readUInt32LE(header), 0x04034b50);
  const dataStart = header + 30 + good.readUInt16LE(header + 26) + good.readUInt16LE(header + 28);
  flipped[dataStart + 4] = 0xff - flipped[dataStart + 4]!;
  const pCrc = write('crc.pt', flipped);
  assert.throws(() => loadPytorchStateDict(pCrc), /entry 'state_dict\/data\/0' fails its CRC-32 check/);

  const pText = write('text.pt', Buffer.from('hello, this is not a model\n'));
  assert.throws(() => loadPytorchStateDict(pText), /it is not a zip archive, so not a torch\.save file/);
  const pEmpty = write('empty.pt', new Uint8Array(0));
  assert.throws(() => loadPytorchStateDict(pEmpty), /not a zip archive/);
  assert.throws(() => loadPytorchStateDict(join(dir, 'missing.pt')), /missing\.pt': cannot be read \(ENOENT/);
  assert.deepEqual(memory(), before);
});

test('memory returns to baseline after loading and disposing every fixture', () => {
  const loadable = fixtures.filter((n) => !('error' in expectedFor(n)));
  for (const n of loadable) dispose(loadPytorchStateDict(fixturePath('pytorch', `${n}.pt`))); // warm-up
  const before = baselineMemory();
  for (let i = 0; i < 5; i++) {
    for (const n of loadable) dispose(loadPytorchStateDict(fixturePath('pytorch', `${n}.pt`)));
  }
  tidy(() => {
    for (const n of loadable) loadPytorchStateDict(fixturePath('pytorch', `${n}.pt`));
  });
  assert.deepEqual(memory(), before);
});
