// Hugging Face safetensors files: read and write, byte-compatible with the official writer.
//
// Layout: an 8-byte little-endian u64 N, N bytes of UTF-8 JSON
//   {"__metadata__": {string: string}, name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
// then the tensors' raw little-endian bytes (offsets are relative to the end of the header).
// The official writer (huggingface/safetensors, `prepare` in tensor.rs) sorts tensors by dtype, descending in
// the order of its Dtype enum (increasing alignment), then by name compared byte-wise; writes compact JSON with
// __metadata__ first and each tensor's keys in the order dtype, shape, data_offsets; and pads the header with
// spaces to a multiple of 8 bytes so every tensor starts 8-byte aligned. We do the same, so a file written here
// is byte-identical to one written by `safetensors.torch.save_file` (metadata keys, which the official writer
// emits in hash-map order, are sorted here to make our output deterministic).
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { fromBuffer } from '../torch/creation.js';
import { type DType, ITEM_SIZE } from '../torch/dtype.js';
import { Tensor } from '../torch/tensor.js';
import { writeAll, writeFileAtomic } from './atomic.js';
import { printable } from './printable.js';

/** Tensors to save: a Map (insertion order does not matter; the file order is canonical) or a plain object. */
export type TensorDict = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

/** What parseSafetensors and loadSafetensors return. */
export interface SafetensorsContent {
  /** The tensors, in file order (by data offset). The caller owns them and must dispose them. */
  tensors: Map<string, Tensor>;
  /** The `__metadata__` strings ({} when the file has none). */
  metadata: Record<string, string>;
}

// safetensors dtype names, ranked as in the official Dtype enum (only the relative order matters for sorting).
const ST_DTYPES: Record<string, { dtype: DType; rank: number }> = {
  BOOL: { dtype: 'bool', rank: 0 },
  U8: { dtype: 'uint8', rank: 1 },
  I8: { dtype: 'int8', rank: 2 },
  I16: { dtype: 'int16', rank: 3 },
  F16: { dtype: 'float16', rank: 5 },
  BF16: { dtype: 'bfloat16', rank: 6 },
  I32: { dtype: 'int32', rank: 7 },
  F32: { dtype: 'float32', rank: 9 },
  F64: { dtype: 'float64', rank: 10 },
  I64: { dtype: 'int64', rank: 11 },
};
const ST_NAME: Record<DType, string> = {
  bool: 'BOOL',
  uint8: 'U8',
  int8: 'I8',
  int16: 'I16',
  float16: 'F16',
  bfloat16: 'BF16',
  int32: 'I32',
  float32: 'F32',
  float64: 'F64',
  int64: 'I64',
};
// Valid safetensors dtypes Lethe has no tensor type for: named in the error so the user knows what to convert.
const FOREIGN_DTYPES = new Set(['U16', 'U32', 'U64', 'C64', 'F4', 'F6_E2M3', 'F6_E3M2', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ']);

/** The official reader's limit; real headers are at most a few MB. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

function checkHostEndianness(): void {
  // Tensor bytes are copied as they are in memory; safetensors is little-endian.
  if (endianness() !== 'LE') throw new Error('safetensors: Lethe reads and writes safetensors only on little-endian machines');
}

// ---- writing -----------------------------------------------------------------------------------------------

interface Prepared {
  header: Buffer;
  /** tensors in file order with their byte lengths */
  parts: { name: string; tensor: Tensor; nbytes: number }[];
  dataBytes: number;
}

function entriesOf(tensors: TensorDict): [string, Tensor][] {
  if (tensors instanceof Map) return [...tensors.entries()];
  if (typeof tensors !== 'object' || tensors === null) throw new TypeError('safetensors: expected a Map or an object of tensors');
  return Object.entries(tensors as Record<string, Tensor>);
}

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function isWellFormed(s: string): boolean {
  // Lone UTF-16 surrogates cannot be encoded in UTF-8 (they would silently become U+FFFD).
  return Buffer.from(s, 'utf8').toString('utf8') === s;
}

/** Validates everything and builds the header; no tensor data is copied yet. */
function prepare(tensors: TensorDict, metadata: Readonly<Record<string, string>> | undefined): Prepared {
  checkHostEndianness();
  const entries = entriesOf(tensors);
  const items = entries.map(([name, t]) => {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('safetensors: tensor names must be non-empty strings');
    if (name === METADATA_KEY) throw new TypeError(`safetensors: '${METADATA_KEY}' is reserved for metadata and cannot name a tensor`);
    if (!isWellFormed(name)) throw new TypeError(`safetensors: tensor name ${JSON.stringify(name)} is not valid Unicode (lone surrogate)`);
    if (!(t instanceof Tensor)) throw new TypeError(`safetensors: '${name}' is not a Tensor`);
    if (t.isDisposed) throw new Error(`safetensors: tensor '${name}' was disposed before it could be saved`);
    const dtype = t.dtype;
    const shape = t.shape;
    return { name, tensor: t, dtype, shape, rank: ST_DTYPES[ST_NAME[dtype]]!.rank, nbytes: t.numel() * ITEM_SIZE[dtype] };
  });
  items.sort((a, b) => b.rank - a.rank || byteCompare(a.name, b.name));

  let meta = '';
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null) throw new TypeError('safetensors: metadata must be an object of strings');
    const keys = Object.keys(metadata).sort(byteCompare);
    for (const k of keys) {
      const v = metadata[k];
      if (typeof v !== 'string') throw new TypeError(`safetensors: metadata '${k}' must be a string (got ${typeof v}); safetensors metadata is string-to-string only, use JSON.stringify for structured values`);
      if (!isWellFormed(k) || !isWellFormed(v)) throw new TypeError(`safetensors: metadata '${k}' is not valid Unicode (lone surrogate)`);
    }
    meta = `${JSON.stringify(METADATA_KEY)}:{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`;
  }

  let offset = 0;
  const fields: string[] = meta === '' ? [] : [meta];
  for (const it of items) {
    const end = offset + it.nbytes;
    fields.push(`${JSON.stringify(it.name)}:{"dtype":"${ST_NAME[it.dtype]}","shape":[${it.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = Buffer.from(`{${fields.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const header = Buffer.alloc(8 + padded, 0x20);
  header.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(header, 8);
  return { header, parts: items.map(({ name, tensor, nbytes }) => ({ name, tensor, nbytes })), dataBytes: offset };
}

function tensorBytes(part: Prepared['parts'][number]): Uint8Array {
  let a;
  try {
    a = part.tensor.toTypedArray();
  } catch (e) {
    throw new Error(`safetensors: cannot read the data of tensor '${part.name}' (${(e as Error).message})`);
  }
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (bytes.byteLength !== part.nbytes) throw new Error(`safetensors: tensor '${part.name}' changed size while being saved`);
  return bytes;
}

/** The complete safetensors file as bytes (see saveSafetensors). */
export function serializeSafetensors(tensors: TensorDict, metadata?: Readonly<Record<string, string>>): Buffer {
  const p = prepare(tensors, metadata);
  const out = Buffer.allocUnsafe(p.header.length + p.dataBytes);
  p.header.copy(out, 0);
  let pos = p.header.length;
  for (const part of p.parts) {
    out.set(tensorBytes(part), pos);
    pos += part.nbytes;
  }
  return out;
}

/**
 * Writes tensors (any device; non-contiguous tensors are written in row-major order) and optional string
 * metadata to `path` atomically: the file is complete or the previous file is left untouched. Tensors are
 * streamed to disk one at a time, so saving needs no second copy of the whole model in memory.
 */
export function saveSafetensors(path: string, tensors: TensorDict, metadata?: Readonly<Record<string, string>>): void {
  const p = prepare(tensors, metadata);
  writeFileAtomic(path, (fd) => {
    writeAll(fd, p.header);
    for (const part of p.parts) writeAll(fd, tensorBytes(part));
  });
}

// ---- reading -----------------------------------------------------------------------------------------------

class SafetensorsError extends Error {
  constructor(source: string, problem: string, hint = 'the file is corrupt or not a safetensors file; re-export it') {
    super(`safetensors file '${source}': ${printable(problem)}; ${hint}`);
    this.name = 'SafetensorsError';
  }
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseEntry(source: string, name: string, v: unknown, dataBytes: number): Entry {
  const bad = (what: string): never => {
    throw new SafetensorsError(source, `tensor '${name}' ${what}`);
  };
  if (!isPlainObject(v)) bad('is not described by an object {dtype, shape, data_offsets}');
  const info = v as Record<string, unknown>;
  const stName = info['dtype'];
  if (typeof stName !== 'string') bad('has no dtype string');
  const known = ST_DTYPES[stName as string];
  if (known === undefined) {
    if (FOREIGN_DTYPES.has(stName as string)) {
      throw new SafetensorsError(source, `tensor '${name}' has dtype ${String(stName)}, which Lethe does not support`,
        'convert it before export (e.g. in Python: t.to(torch.int64) or t.float()); supported: ' + Object.keys(ST_DTYPES).join(', '));
    }
    bad(`has unknown dtype ${JSON.stringify(stName)} (expected one of ${Object.keys(ST_DTYPES).join(', ')})`);
  }
  const shape = info['shape'];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    bad(`has an invalid shape ${JSON.stringify(shape)} (expected an array of non-negative integers)`);
  }
  const offsets = info['data_offsets'];
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    bad(`has invalid data_offsets ${JSON.stringify(offsets)} (expected [begin, end] with non-negative integers)`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) bad(`has data_offsets [${begin}, ${end}] that end before they begin`);
  if (end > dataBytes) {
    throw new SafetensorsError(source, `tensor '${name}' has data_offsets [${begin}, ${end}] beyond the end of the data section (${dataBytes} bytes)`,
      'the file is truncated or corrupt; copy or download it again');
  }
  const dtype = known!.dtype;
  let numel = 1;
  for (const d of shape as number[]) numel *= d;
  const need = numel * ITEM_SIZE[dtype];
  if (!Number.isSafeInteger(need) || need !== end - begin) {
    bad(`has shape [${(shape as number[]).join(', ')}] and dtype ${String(stName)} (${need} bytes) but data_offsets [${begin}, ${end}] span ${end - begin} bytes`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** Reads and validates the header; returns the entries sorted by offset and the metadata. */
function parseHeader(buf: Uint8Array, source: string): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  checkHostEndianness();
  if (buf.byteLength < 8) {
    throw new SafetensorsError(source, `it is ${buf.byteLength} bytes long, shorter than the 8-byte header length`, 'the file is empty, truncated or not a safetensors file');
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(source, `the header length field says ${n64} bytes (limit ${MAX_HEADER_BYTES})`);
  }
  const n = Number(n64);
  if (8 + n > buf.byteLength) {
    throw new SafetensorsError(source, `the header length field says ${n} bytes but only ${buf.byteLength - 8} bytes follow it`,
      'the file is truncated or not a safetensors file; copy or download it again');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n));
  } catch {
    throw new SafetensorsError(source, 'the header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(source, `the header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(json)) throw new SafetensorsError(source, 'the header is not a JSON object');

  const dataStart = 8 + n;
  const dataBytes = buf.byteLength - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [key, value] of Object.entries(json)) {
    if (key === METADATA_KEY) {
      if (value === null) continue;
      if (!isPlainObject(value) || !Object.values(value).every((s) => typeof s === 'string')) {
        throw new SafetensorsError(source, `'${METADATA_KEY}' must map strings to strings`);
      }
      metadata = { ...(value as Record<string, string>) };
    } else {
      entries.push(parseEntry(source, key, value, dataBytes));
    }
  }
  // Tensors must tile the data section exactly: no gaps, no overlaps, nothing after the last one.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of entries) {
    if (e.begin < pos) {
      throw new SafetensorsError(source, `tensor '${e.name}' (bytes ${e.begin}..${e.end}) overlaps the previous tensor, which ends at byte ${pos}`);
    }
    if (e.begin > pos) {
      throw new SafetensorsError(source, `tensor '${e.name}' starts at byte ${e.begin} but the previous tensor ends at byte ${pos} (a gap of ${e.begin - pos} bytes)`);
    }
    pos = e.end;
  }
  if (pos !== dataBytes) {
    throw new SafetensorsError(source, `the tensors cover ${pos} bytes of data but the file has ${dataBytes} bytes after the header`,
      pos < dataBytes ? 'the file has trailing bytes: it is corrupt or was appended to' : 'the file is truncated');
  }
  return { entries, metadata, dataStart };
}

/** Parses a safetensors file held in memory. Tensors are copied once (the buffer may be reused afterwards). */
export function parseSafetensors(buf: Uint8Array, source = '<buffer>'): SafetensorsContent {
  const { entries, metadata, dataStart } = parseHeader(buf, source);
  const tensors = new Map<string, Tensor>();
  try {
    for (const e of entries) {
      tensors.set(e.name, fromBuffer(buf.subarray(dataStart + e.begin, dataStart + e.end), e.dtype, e.shape));
    }
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  }
  return { tensors, metadata };
}

/** Loads a safetensors file: CPU tensors (owned by the caller, or by the enclosing tidy) and its metadata. */
export function loadSafetensors(path: string): SafetensorsContent {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new Error(`safetensors file '${path}': cannot be read (${(e as Error).message})`);
  }
  return parseSafetensors(buf, path);
}
