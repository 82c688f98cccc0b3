// A minimal PNG encoder (8-bit grayscale or RGB, no interlace) and sample grids: one row per class.
//
// PNG = signature, IHDR, IDAT (zlib stream of the rows, each prefixed by filter byte 0), IEND; every chunk is
// length, type, data, CRC-32 of type+data. zlib comes from node:zlib; the CRC table is computed here.
import { deflateSync } from 'node:zlib';
import { writeBytesAtomic } from '../io/artifacts.js';
import { tidy, type Tensor } from '../torch/index.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO-HDLC, the one PNG and zlib's crc32 use). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit image as encodePng takes it: grayscale (1 channel) or RGB (3). */
export interface RasterImage {
  /** row-major pixels, `channels` bytes per pixel */
  pixels: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 = grayscale, 3 = RGB */
  channels: 1 | 3;
}

/** Encodes an 8-bit image as PNG bytes. */
export function encodePng(img: RasterImage): Buffer {
  const { pixels, width, height, channels } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`encodePng: bad size ${width}×${height}`);
  if (channels !== 1 && channels !== 3) throw new RangeError(`encodePng: channels must be 1 (gray) or 3 (RGB), got ${String(channels)}`);
  if (pixels.length !== width * height * channels) throw new RangeError(`encodePng: ${pixels.length} bytes for a ${width}×${height}×${channels} image`);
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : 2; // colour type: grayscale or truecolour
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter method
  ihdr[12] = 0; // no interlace
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}

/**
 * The size a PNG file declares (its IHDR chunk, which must come first), or null when `bytes` do not start like a
 * PNG: enough to tell a sample grid from a truncated or foreign file without decoding it.
 */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes.length < 24 || !SIGNATURE.equals(bytes.subarray(0, 8))) return null;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.toString('ascii', 12, 16) !== 'IHDR') return null;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** Writes a PNG atomically (temporary file + rename). */
export function writePng(path: string, img: RasterImage): void {
  const bytes = encodePng(img);
  writeBytesAtomic(path, bytes);
}

/**
 * Tiles images [N, C, S, S] with values in [−1, 1] into a grid of `cols` columns (row-major: image i goes to row
 * ⌊i/cols⌋), with `gap` pixels of mid-gray between tiles. C must be 1 or 3.
 */
export function imageGrid(images: Tensor, cols: number, gap = 2): RasterImage {
  const [n, c, h, w] = images.shape as [number, number, number, number];
  if (images.ndim !== 4 || (c !== 1 && c !== 3)) throw new Error(`imageGrid: expected images [N, 1|3, H, W], got [${images.shape.join(', ')}]`);
  if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`imageGrid: cols must be a positive integer, got ${cols}`);
  const rows = Math.ceil(n / cols);
  const width = cols * w + (cols + 1) * gap;
  const height = rows * h + (rows + 1) * gap;
  // [N, H, W, C] bytes: (x + 1)/2 · 255, rounded, clamped
  const bytes = tidy(() => images.add(1).mul(127.5).round().clamp(0, 255).to('uint8').permute(0, 2, 3, 1).contiguous().toTypedArray() as Uint8Array);
  const pixels = new Uint8Array(width * height * c).fill(128);
  for (let i = 0; i < n; i++) {
    const ox = gap + (i % cols) * (w + gap);
    const oy = gap + Math.floor(i / cols) * (h + gap);
    for (let y = 0; y < h; y++) {
      const src = (i * h + y) * w * c;
      pixels.set(bytes.subarray(src, src + w * c), ((oy + y) * width + ox) * c);
    }
  }
  return { pixels, width, height, channels: c };
}
