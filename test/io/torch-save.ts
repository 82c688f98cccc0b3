// Writes PyTorch files without PyTorch or Python, for the importer's tests: a pickler that writes the bytes Python's
// own pickle module writes for the same structure (protocols 2 and 4; checked byte for byte against Python 3.11's
// pickle.dumps, with a stand-in `torch` module for the torch.save structures), zip archives (stored or deflated
// entries, zip64 records on request) and torch.save archives made of both.
//
// Python memoizes objects by identity; here strings and globals are memoized by value (as Python's are when equal
// strings are one object: literals, a state dict's storage keys) and every other object by identity. (So in
// protocol 2 two equal bytes objects share the latin-1 text of their _codecs.encode, which Python writes twice.)
import { crc32, deflateRawSync } from 'node:zlib';

/** A Python float (a JS number is written as a Python int). */
export class Float {
  constructor(readonly value: number) {}
}
export class Tuple {
  constructor(readonly items: PickleValue[]) {}
}
export class Dict {
  constructor(readonly entries: [PickleValue, PickleValue][] = []) {}
}
export class PSet {
  constructor(
    readonly items: PickleValue[],
    readonly frozen = false,
  ) {}
}
/** A module-level name (a class or a function), written as GLOBAL / STACK_GLOBAL. */
export class Global {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}
/** fn(*args), then the dict items set on the result, then its state (BUILD): what __reduce__ returns. */
export class Reduce {
  constructor(
    readonly fn: Global,
    readonly args: Tuple,
    readonly o: { dictItems?: [PickleValue, PickleValue][]; state?: PickleValue } = {},
  ) {}
}
/** A persistent id (BINPERSID): how torch.save refers to a storage. */
export class Persistent {
  constructor(readonly pid: PickleValue) {}
}
export type PickleValue = null | boolean | number | bigint | string | Float | Uint8Array | PickleValue[] | Tuple | Dict | PSet | Global | Reduce | Persistent;

const BATCH = 1000; // Python's _BATCHSIZE

const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: number | bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

/** Python's pickle.encode_long: little-endian two's complement, as few bytes as hold the sign. */
function encodeLong(x: bigint): Buffer {
  if (x === 0n) return Buffer.alloc(0);
  const n = ((x < 0n ? -x : x).toString(2).length >> 3) + 1; // (x.bit_length() >> 3) + 1
  const out = Buffer.alloc(n);
  let v = BigInt.asUintN(8 * n, x);
  for (let i = 0; i < n; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  if (x < 0n && n > 1 && out[n - 1] === 0xff && (out[n - 2]! & 0x80) !== 0) return out.subarray(0, n - 1);
  return out;
}

/**
 * The pickle of `root`, as pickle.dumps(root, protocol) writes it (one frame in protocol 4: as Python below 64 KiB).
 * `counts`, when given, gets the number of each memo opcode written (keys 'BINPUT', 'LONG_BINPUT', 'MEMOIZE',
 * 'BINGET', 'LONG_BINGET').
 */
export function pickle(root: PickleValue, protocol: 2 | 4 = 2, counts?: Record<string, number>): Buffer {
  const parts: Buffer[] = [];
  const MEMO_OPS: Record<number, string> = { 0x71: 'BINPUT', 0x72: 'LONG_BINPUT', 0x94: 'MEMOIZE', 0x68: 'BINGET', 0x6a: 'LONG_BINGET' };
  const op = (...bytes: (number | Buffer)[]): void => {
    const name = typeof bytes[0] === 'number' ? MEMO_OPS[bytes[0]] : undefined;
    if (counts !== undefined && name !== undefined) counts[name] = (counts[name] ?? 0) + 1;
    for (const b of bytes) parts.push(typeof b === 'number' ? Buffer.from([b]) : b);
  };
  let memoSize = 0;
  const strings = new Map<string, number>();
  const globals = new Map<string, number>();
  const objects = new Map<object, number>();
  const memoize = (): number => {
    const i = memoSize++;
    if (protocol >= 4) op(0x94); // MEMOIZE
    else if (i < 256) op(0x71, i); // BINPUT
    else op(0x72, u32(i)); // LONG_BINPUT
    return i;
  };
  const get = (i: number): void => (i < 256 ? op(0x68, i) : op(0x6a, u32(i))); // BINGET / LONG_BINGET
  const memoized = (v: object): boolean => {
    const i = objects.get(v);
    if (i !== undefined) get(i);
    return i !== undefined;
  };

  const saveInt = (x: bigint): void => {
    if (x >= 0n && x <= 0xffn) op(0x4b, Number(x)); // BININT1
    else if (x >= 0n && x <= 0xffffn) op(0x4d, u16(Number(x))); // BININT2
    else if (x >= -(2n ** 31n) && x < 2n ** 31n) {
      const b = Buffer.alloc(4);
      b.writeInt32LE(Number(x));
      op(0x4a, b); // BININT
    } else {
      const b = encodeLong(x);
      if (b.length < 256) op(0x8a, b.length, b); // LONG1
      else op(0x8b, u32(b.length), b); // LONG4
    }
  };
  const batch = (items: PickleValue[][], one: number, many: number): void => {
    for (let i = 0; i < items.length; i += BATCH) {
      const chunk = items.slice(i, i + BATCH);
      if (chunk.length > 1) {
        op(0x28); // MARK
        for (const it of chunk) it.forEach(save);
        op(many);
      } else {
        chunk[0]!.forEach(save);
        op(one);
      }
    }
  };
  const saveReduce = (r: Reduce): void => {
    save(r.fn);
    save(r.args);
    op(0x52); // REDUCE
    objects.set(r, memoize());
    if (r.o.dictItems !== undefined) batch(r.o.dictItems, 0x73, 0x75); // SETITEM / SETITEMS
    if (r.o.state !== undefined && r.o.state !== null) {
      save(r.o.state);
      op(0x62); // BUILD
    }
  };
  function save(v: PickleValue): void {
    if (v === null) return op(0x4e);
    if (v === true) return op(0x88);
    if (v === false) return op(0x89);
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new Error(`pickle writer: ${v} is not an integer; wrap floats in Float`);
      return saveInt(BigInt(v));
    }
    if (typeof v === 'bigint') return saveInt(v);
    if (v instanceof Float) {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v.value);
      return op(0x47, b); // BINFLOAT
    }
    if (typeof v === 'string') {
      const known = strings.get(v);
      if (known !== undefined) return get(known);
      const b = Buffer.from(v, 'utf8');
      if (protocol >= 4 && b.length < 256) op(0x8c, b.length, b); // SHORT_BINUNICODE
      else op(0x58, u32(b.length), b); // BINUNICODE
      strings.set(v, memoize());
      return;
    }
    if (v instanceof Global) {
      const key = `${v.module}\n${v.name}`;
      const known = globals.get(key);
      if (known !== undefined) return get(known);
      if (protocol >= 4) {
        save(v.module);
        save(v.name);
        op(0x93); // STACK_GLOBAL
      } else {
        op(0x63, Buffer.from(`${v.module}\n${v.name}\n`, 'latin1')); // GLOBAL
      }
      globals.set(key, memoize());
      return;
    }
    if (v instanceof Persistent) {
      save(v.pid);
      return op(0x51); // BINPERSID
    }
    if (v instanceof Tuple && v.items.length === 0) return op(0x29); // EMPTY_TUPLE, never memoized
    if (memoized(v)) return;
    if (v instanceof Uint8Array) {
      if (protocol < 3) {
        // Python 3 bytes in protocol 2: _codecs.encode(latin-1 text, 'latin1'), or bytes() when empty
        const r = v.length === 0 ? new Reduce(new Global('__builtin__', 'bytes'), new Tuple([])) : new Reduce(new Global('_codecs', 'encode'), new Tuple([Buffer.from(v).toString('latin1'), 'latin1']));
        saveReduce(r);
        objects.set(v, objects.get(r)!);
        return;
      }
      if (v.length < 256) op(0x43, v.length, Buffer.from(v)); // SHORT_BINBYTES
      else op(0x42, u32(v.length), Buffer.from(v)); // BINBYTES
      objects.set(v, memoize());
      return;
    }
    if (Array.isArray(v)) {
      op(0x5d); // EMPTY_LIST
      objects.set(v, memoize());
      batch(v.map((x) => [x]), 0x61, 0x65); // APPEND / APPENDS
      return;
    }
    if (v instanceof Tuple) {
      const short = v.items.length <= 3;
      if (!short) op(0x28); // MARK
      v.items.forEach(save);
      op(short ? [0x85, 0x86, 0x87][v.items.length - 1]! : 0x74); // TUPLE1..3 / TUPLE
      objects.set(v, memoize());
      return;
    }
    if (v instanceof Dict) {
      op(0x7d); // EMPTY_DICT
      objects.set(v, memoize());
      batch(v.entries, 0x73, 0x75);
      return;
    }
    if (v instanceof PSet) {
      if (protocol < 4) {
        const r = new Reduce(new Global('__builtin__', v.frozen ? 'frozenset' : 'set'), new Tuple([[...v.items]]));
        saveReduce(r);
        objects.set(v, objects.get(r)!);
        return;
      }
      if (v.frozen) {
        op(0x28);
        v.items.forEach(save);
        op(0x91); // FROZENSET
        objects.set(v, memoize());
        return;
      }
      op(0x8f); // EMPTY_SET
      objects.set(v, memoize());
      for (let i = 0; i < v.items.length; i += BATCH) {
        op(0x28);
        v.items.slice(i, i + BATCH).forEach(save);
        op(0x90); // ADDITEMS
      }
      return;
    }
    saveReduce(v);
  }
  parts.push(Buffer.from([0x80, protocol])); // PROTO
  const head = parts.length;
  save(root);
  op(0x2e); // STOP
  if (protocol >= 4) {
    const body = Buffer.concat(parts.splice(head));
    parts.push(Buffer.from([0x95]), u64(body.length), body); // FRAME
  }
  return Buffer.concat(parts);
}

// ---- zip archives

// CRC-32 from node:zlib: an implementation independent of the reader's, so a wrong table there shows

export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** 0 stored (default), 8 deflate */
  method?: 0 | 8;
}

/** Where each part of a written archive lies, so that a test can damage exactly one field. */
export interface ZipLayout {
  bytes: Buffer;
  entries: { name: string; local: number; data: number; central: number }[];
  centralDirectory: number;
  /** the zip64 end-of-central-directory record and its locator, when written */
  zip64Record?: number;
  zip64Locator?: number;
  endOfCentralDirectory: number;
}

export type Zip64Field = 'size' | 'compressedSize' | 'offset';

/**
 * A zip archive of `entries`. `align`: pad each entry's data to that boundary with a local-header extra field, as
 * PyTorch's writer does (64). `zip64`: write the end of the central directory as zip64 (its 32-bit fields saturated,
 * the real values in the zip64 record found through the locator) and move `fields` of every central entry into a
 * zip64 extended-information field (0x0001), as a zip of more than 4 GB must.
 */
export function writeZip(entries: ZipInput[], o: { align?: number; zip64?: { fields: Zip64Field[] } } = {}): ZipLayout {
  const parts: Buffer[] = [];
  let at = 0;
  const put = (b: Buffer): number => {
    parts.push(b);
    at += b.length;
    return at - b.length;
  };
  const placed: ZipLayout['entries'] = [];
  const centrals: Buffer[] = [];
  for (const e of entries) {
    const method = e.method ?? 0;
    const body = method === 8 ? deflateRawSync(e.data) : Buffer.from(e.data);
    const name = Buffer.from(e.name, 'utf8');
    const crc = crc32(e.data);
    let extra = Buffer.alloc(0);
    if (o.align !== undefined) {
      const unpadded = at + 30 + name.length;
      const pad = (o.align - ((unpadded + 4) % o.align)) % o.align;
      extra = Buffer.concat([u16(0x4246), u16(pad), Buffer.alloc(pad, 0x5a)]); // 'FB' padding, as PyTorch writes
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const localAt = put(Buffer.concat([local, name, extra]));
    const dataAt = put(body);
    const fields = o.zip64?.fields ?? [];
    const z64 = [
      ...(fields.includes('size') ? [u64(e.data.length)] : []),
      ...(fields.includes('compressedSize') ? [u64(body.length)] : []),
      ...(fields.includes('offset') ? [u64(localAt)] : []),
    ];
    const cExtra = z64.length === 0 ? Buffer.alloc(0) : Buffer.concat([u16(0x0001), u16(8 * z64.length), ...z64]);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(z64.length > 0 ? 45 : 20, 4);
    c.writeUInt16LE(z64.length > 0 ? 45 : 20, 6);
    c.writeUInt16LE(method, 10);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(fields.includes('compressedSize') ? 0xffffffff : body.length, 20);
    c.writeUInt32LE(fields.includes('size') ? 0xffffffff : e.data.length, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt16LE(cExtra.length, 30);
    c.writeUInt32LE(fields.includes('offset') ? 0xffffffff : localAt, 42);
    centrals.push(Buffer.concat([c, name, cExtra]));
    placed.push({ name: e.name, local: localAt, data: dataAt, central: -1 });
  }
  const cdAt = at;
  centrals.forEach((c, i) => (placed[i]!.central = put(c)));
  const cdSize = at - cdAt;
  const layout: Partial<ZipLayout> = {};
  if (o.zip64 !== undefined) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(entries.length), 24);
    rec.writeBigUInt64LE(BigInt(entries.length), 32);
    rec.writeBigUInt64LE(BigInt(cdSize), 40);
    rec.writeBigUInt64LE(BigInt(cdAt), 48);
    layout.zip64Record = put(rec);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(layout.zip64Record), 8);
    loc.writeUInt32LE(1, 16);
    layout.zip64Locator = put(loc);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  const count = o.zip64 !== undefined ? 0xffff : entries.length;
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(o.zip64 !== undefined ? 0xffffffff : cdSize, 12);
  end.writeUInt32LE(o.zip64 !== undefined ? 0xffffffff : cdAt, 16);
  const eocd = put(end);
  return { ...layout, bytes: Buffer.concat(parts), entries: placed, centralDirectory: cdAt, endOfCentralDirectory: eocd };
}

// ---- torch.save archives

export const ORDERED_DICT = new Global('collections', 'OrderedDict');
export const REBUILD_V2 = new Global('torch._utils', '_rebuild_tensor_v2');
export const REBUILD_V3 = new Global('torch._utils', '_rebuild_tensor_v3');

/** An empty OrderedDict, as each tensor's backward hooks pickle. */
export const orderedDict = (items: [PickleValue, PickleValue][] = [], state?: PickleValue): Reduce =>
  new Reduce(ORDERED_DICT, new Tuple([]), items.length > 0 || state !== undefined ? { dictItems: items, ...(state === undefined ? {} : { state }) } : {});

/** torch.save's persistent id of storage `key`: ('storage', torch.<type>, key, location, numel). */
export const storage = (type: string, key: string, numel: number, location = 'cpu'): Persistent =>
  new Persistent(new Tuple(['storage', new Global('torch', type), key, location, numel]));

/** A tensor as torch.save pickles it: _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks). */
export const tensorV2 = (pid: Persistent, offset: number, size: PickleValue, stride: number[]): Reduce =>
  new Reduce(REBUILD_V2, new Tuple([pid, offset, size, new Tuple(stride), false, orderedDict()]));

/** The same through _rebuild_tensor_v3, which adds the dtype (a torch.<dtype> global). */
export const tensorV3 = (pid: Persistent, offset: number, size: PickleValue, stride: number[], dtype: PickleValue): Reduce =>
  new Reduce(REBUILD_V3, new Tuple([pid, offset, size, new Tuple(stride), false, orderedDict(), dtype]));

/** Contiguous strides of a shape. */
export const contiguousStride = (shape: number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/**
 * `model.state_dict()` as torch.save pickles it: an OrderedDict of the tensors, with `_metadata` (an OrderedDict of
 * each module prefix to {'version': n}) as its instance state.
 */
export const stateDict = (tensors: [string, PickleValue][], metadata: [string, number][] = [['', 1]]): Reduce =>
  orderedDict(tensors, new Dict([['_metadata', orderedDict(metadata.map(([prefix, version]) => [prefix, new Dict([['version', version]])]))]]));

/**
 * A torch.save zip archive: `<name>/data.pkl` (the pickle of `root`), `byteorder`, each storage as `data/<key>`
 * and `version`, stored and 64-byte aligned as PyTorch writes them. `omit` leaves records out (a damaged file).
 */
export function torchSaveArchive(root: PickleValue, storages: Map<string, Uint8Array>, o: { name?: string; protocol?: 2 | 4; omit?: string[]; zip64?: { fields: Zip64Field[] } } = {}): Buffer {
  const name = o.name ?? 'archive';
  const entries: ZipInput[] = [
    { name: `${name}/data.pkl`, data: pickle(root, o.protocol ?? 2) },
    { name: `${name}/byteorder`, data: Buffer.from('little') },
    ...[...storages].map(([key, data]) => ({ name: `${name}/data/${key}`, data })),
    { name: `${name}/version`, data: Buffer.from('3\n') },
  ].filter((e) => !(o.omit ?? []).includes(e.name));
  return writeZip(entries, { align: 64, ...(o.zip64 === undefined ? {} : { zip64: o.zip64 }) }).bytes;
}

/** The bytes of float32 values, little-endian. */
export const float32Bytes = (values: number[]): Buffer => Buffer.from(Float32Array.from(values).buffer);
/** The bytes of int64 values, little-endian. */
export const int64Bytes = (values: (number | bigint)[]): Buffer => Buffer.from(BigInt64Array.from(values.map(BigInt)).buffer);
