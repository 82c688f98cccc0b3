// A small, strict zip reader: enough for torch.save archives (stored entries, zip64 for files over 4 GB) and for
// archives re-packed by zip tools (deflate). Reads the central directory, never trusts local headers for sizes
// (torch.save writes them with data descriptors), checks every offset against the file and every CRC.
import { inflateRawSync } from 'node:zlib';
import { printable } from './printable.js';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;

let crcTable: Uint32Array | null = null;
function crc32(data: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** True when the bytes start like a zip archive (a local file header). */
export function looksLikeZip(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
}

export class ZipReader {
  private readonly byName = new Map<string, ZipEntry>();
  private readonly buf: Buffer;

  /** Parses the central directory of an in-memory archive; `source` names the file in error messages. */
  constructor(
    data: Uint8Array,
    private readonly source: string,
  ) {
    this.buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (!looksLikeZip(this.buf)) this.fail('it does not start with a zip signature (PK\\x03\\x04)');
    for (const e of this.readCentralDirectory()) this.byName.set(e.name, e);
  }

  private fail(problem: string): never {
    throw new Error(`zip archive '${this.source}': ${printable(problem)}; the file is corrupt, truncated or not a zip archive`);
  }

  private u64(pos: number): number {
    const v = this.buf.readBigUInt64LE(pos);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`a 64-bit field at byte ${pos} is too large`);
    return Number(v);
  }

  private findEndOfCentralDirectory(): number {
    const b = this.buf;
    // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end of the file.
    const stop = Math.max(0, b.length - 22 - 0xffff);
    for (let p = b.length - 22; p >= stop; p--) {
      if (b.readUInt32LE(p) === SIG_EOCD && p + 22 + b.readUInt16LE(p + 20) <= b.length) return p;
    }
    return this.fail('no end-of-central-directory record');
  }

  private readCentralDirectory(): ZipEntry[] {
    const b = this.buf;
    const eocd = this.findEndOfCentralDirectory();
    let count = b.readUInt16LE(eocd + 10);
    let cdSize = b.readUInt32LE(eocd + 12);
    let cdOffset = b.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || b.readUInt32LE(loc) !== SIG_ZIP64_LOCATOR) this.fail('zip64 end-of-central-directory locator missing');
      const z = this.u64(loc + 8);
      if (z + 56 > b.length || b.readUInt32LE(z) !== SIG_ZIP64_EOCD) this.fail('zip64 end-of-central-directory record missing');
      count = this.u64(z + 32);
      cdSize = this.u64(z + 40);
      cdOffset = this.u64(z + 48);
    }
    if (cdOffset + cdSize > b.length) this.fail(`the central directory (bytes ${cdOffset}..${cdOffset + cdSize}) lies beyond the end of the file (${b.length} bytes)`);
    const entries: ZipEntry[] = [];
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (p + 46 > b.length || b.readUInt32LE(p) !== SIG_CENTRAL) this.fail(`central directory entry ${i} is damaged`);
      const flags = b.readUInt16LE(p + 8);
      const method = b.readUInt16LE(p + 10);
      const crc = b.readUInt32LE(p + 16);
      let compressedSize = b.readUInt32LE(p + 20);
      let size = b.readUInt32LE(p + 24);
      const nameLen = b.readUInt16LE(p + 28);
      const extraLen = b.readUInt16LE(p + 30);
      const commentLen = b.readUInt16LE(p + 32);
      let localHeaderOffset = b.readUInt32LE(p + 42);
      if (p + 46 + nameLen + extraLen + commentLen > b.length) this.fail(`central directory entry ${i} runs past the end of the file`);
      const name = b.toString('utf8', p + 46, p + 46 + nameLen);
      // zip64 extended information: the 64-bit values of exactly the fields that were saturated, in this order.
      let x = p + 46 + nameLen;
      const xEnd = x + extraLen;
      while (x + 4 <= xEnd) {
        const id = b.readUInt16LE(x);
        const len = b.readUInt16LE(x + 2);
        if (id === 0x0001) {
          let q = x + 4;
          if (size === 0xffffffff) (size = this.u64(q)), (q += 8);
          if (compressedSize === 0xffffffff) (compressedSize = this.u64(q)), (q += 8);
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = this.u64(q);
        }
        x += 4 + len;
      }
      if (flags & 1) this.fail(`entry '${name}' is encrypted`);
      entries.push({ name, method, compressedSize, size, crc32: crc, localHeaderOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
    return entries;
  }

  /** Entry names in central-directory order. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The uncompressed content of an entry (a view into the archive for stored entries), CRC-checked. */
  read(name: string): Buffer {
    const e = this.byName.get(name);
    if (e === undefined) this.fail(`entry '${name}' is missing`);
    const b = this.buf;
    const h = e.localHeaderOffset;
    if (h + 30 > b.length || b.readUInt32LE(h) !== SIG_LOCAL) this.fail(`the local header of entry '${name}' is damaged`);
    const start = h + 30 + b.readUInt16LE(h + 26) + b.readUInt16LE(h + 28);
    if (start + e.compressedSize > b.length) {
      this.fail(`entry '${name}' (bytes ${start}..${start + e.compressedSize}) extends beyond the end of the file (${b.length} bytes)`);
    }
    const raw = b.subarray(start, start + e.compressedSize);
    let data: Buffer;
    if (e.method === 0) {
      data = raw;
    } else if (e.method === 8) {
      try {
        data = inflateRawSync(raw);
      } catch (err) {
        this.fail(`entry '${name}' cannot be inflated (${(err as Error).message})`);
      }
    } else {
      this.fail(`entry '${name}' uses compression method ${e.method}; only stored (0) and deflate (8) are supported`);
    }
    if (data.length !== e.size) this.fail(`entry '${name}' has ${data.length} bytes, the directory says ${e.size}`);
    if (crc32(data) !== e.crc32) this.fail(`entry '${name}' fails its CRC-32 check`);
    return data;
  }
}
