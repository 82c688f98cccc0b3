// The PNG encoder and sample grids: our own decoder (IHDR, CRC, inflate of IDAT) and Python's zlib agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { memory, tensor, tidy } from '../../src/index.js';
import { crc32, encodePng, imageGrid, pngSize, writePng } from '../../src/diffusion/index.js';
import { baselineMemory } from '../baseline.js';

/** Minimal decoder for the files we write: chunks with CRC checks, IHDR, IDAT inflated, filter-0 rows. */
function decode(bytes: Buffer): { width: number; height: number; colorType: number; pixels: Uint8Array } {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (pos < bytes.length) {
    const len = bytes.readUInt32BE(pos);
    const type = bytes.toString('ascii', pos + 4, pos + 8);
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    assert.equal(bytes.readUInt32BE(pos + 8 + len), crc32(bytes.subarray(pos + 4, pos + 8 + len)), `CRC of ${type}`);
    types.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8);
      colorType = data[9]!;
    } else if (type === 'IDAT') idat.push(Buffer.from(data));
    pos += 12 + len;
  }
  assert.deepEqual(types, ['IHDR', 'IDAT', 'IEND']);
  const raw = inflateSync(Buffer.concat(idat));
  const channels = colorType === 0 ? 1 : 3;
  const stride = width * channels;
  assert.equal(raw.length, (stride + 1) * height);
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (stride + 1)], 0, 'filter byte');
    pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, colorType, pixels };
}

test('crc32 matches the standard check value and zlib', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  const py = execFileSync('/usr/bin/python3', ['-c', 'import zlib,sys; print(zlib.crc32(b"lethe diffusion"))']).toString().trim();
  assert.equal(crc32(Buffer.from('lethe diffusion')), Number(py));
});

test('a grayscale and an RGB image round-trip through encodePng', () => {
  const gray = Uint8Array.from({ length: 5 * 3 }, (_, i) => i * 17);
  const g = decode(encodePng({ pixels: gray, width: 5, height: 3, channels: 1 }));
  assert.deepEqual([g.width, g.height, g.colorType], [5, 3, 0]);
  assert.deepEqual(g.pixels, gray);
  const rgb = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => 255 - i);
  const c = decode(encodePng({ pixels: rgb, width: 2, height: 2, channels: 3 }));
  assert.deepEqual([c.width, c.height, c.colorType], [2, 2, 2]);
  assert.deepEqual(c.pixels, rgb);
  assert.throws(() => encodePng({ pixels: gray, width: 4, height: 3, channels: 1 }), /15 bytes for a 4×3×1 image/);
});

test('imageGrid tiles [N, 1, S, S] images in [−1, 1], rows first, with gray gaps; the file decodes to that size', () => {
  const base = baselineMemory();
  const dir = mkdtempSync(join(tmpdir(), 'lethe-png-'));
  try {
    const img = tidy(() => {
      // 5 images of 2×2: image i is filled with −1 + i/2 (→ bytes 0, 64, 128, 191, 255)
      const t = tensor(Array.from({ length: 5 }, (_, i) => [[new Array(2).fill(-1 + i / 2), new Array(2).fill(-1 + i / 2)]]));
      return imageGrid(t, 3, 1);
    });
    assert.deepEqual([img.width, img.height, img.channels], [3 * 2 + 4, 2 * 2 + 3, 1]);
    const at = (x: number, y: number) => img.pixels[y * img.width + x];
    assert.equal(at(0, 0), 128); // gap
    assert.equal(at(1, 1), 0); // image 0
    assert.equal(at(4, 1), 64); // image 1
    assert.equal(at(7, 2), 128); // image 2 = value 0 → 127.5 rounds to 128
    assert.equal(at(1, 4), 191); // image 3 (second row): 0.5 → 191.25 → 191
    assert.equal(at(4, 5), 255); // image 4
    assert.equal(at(7, 4), 128); // empty slot stays gray
    const path = join(dir, 'grid.png');
    writePng(path, img);
    assert.deepEqual(readdirSync(dir), ['grid.png'], 'no temporary file left behind');
    const d = decode(readFileSync(path));
    assert.deepEqual([d.width, d.height], [10, 7]);
    assert.deepEqual(d.pixels, img.pixels);
    // an independent check: Python's zlib inflates the IDAT and the IHDR says 10×7, 8-bit gray
    const py = execFileSync('/usr/bin/python3', [
      '-c',
      'import sys,struct,zlib\nb=open(sys.argv[1],"rb").read()\nw,h,d,c=struct.unpack(">IIBB",b[16:26])\ni=b.index(b"IDAT")\nn=struct.unpack(">I",b[i-4:i])[0]\nr=zlib.decompress(b[i+4:i+4+n])\nprint(w,h,d,c,len(r))',
      path,
    ]).toString().trim();
    assert.equal(py, `10 7 8 0 ${7 * 11}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(!existsSync(dir));
  assert.deepEqual(memory(), base);
});

test('pngSize reads the IHDR size and rejects what is not a PNG', () => {
  assert.deepEqual(pngSize(encodePng({ pixels: new Uint8Array(5 * 3 * 3), width: 5, height: 3, channels: 3 })), { width: 5, height: 3 });
  assert.equal(pngSize(Buffer.from('not a png at all, just some text')), null);
  assert.equal(pngSize(encodePng({ pixels: new Uint8Array(1), width: 1, height: 1, channels: 1 }).subarray(0, 20)), null, 'truncated');
});
