// Loading PyTorch `torch.save` files (PyTorch >= 1.6 zip format) that hold a dict of tensors.
//
// Why not libtorch's own loader: torch::pickle_load in libtorch 1.13 rejects the usual
// `torch.save(model.state_dict())` (an OrderedDict carrying `_metadata`) with an internal assert. So the archive
// is read here: `<archive>/data.pkl` is a pickle in which each tensor is
// `torch._utils._rebuild_tensor_v2(persistent_id(('storage', torch.FloatStorage, key, location, numel)),
// storage_offset, size, stride, requires_grad, backward_hooks)` and `<archive>/data/<key>` holds that storage's
// raw bytes. The unpickler only knows the handful of globals a state dict and the plain data beside it use (sets,
// a scheduler's Counter, bytes); anything else is refused, so loading a file never runs code from it.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { fromBuffer } from '../torch/creation.js';
import { aten } from '../torch/aten.js';
import { type DType, ITEM_SIZE } from '../torch/dtype.js';
import { tidy } from '../torch/scope.js';
import { call, type Tensor } from '../torch/tensor.js';
import { describePy, PyDict, PyGlobal, PyObject, PySet, PyTuple, type PyValue, unpickle, UnpicklingError } from './pickle.js';
import { printable } from './printable.js';
import { looksLikeZip, ZipReader } from './zip.js';

const STORAGE_DTYPES: Record<string, DType> = {
  DoubleStorage: 'float64',
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};
// torch.<dtype> globals (pickled by _rebuild_tensor_v3).
const TORCH_DTYPES: Record<string, DType> = {
  float64: 'float64',
  double: 'float64',
  float32: 'float32',
  float: 'float32',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};
// Checkpoint keys that usually hold the model's weights, tried before other entries of a nested dict.
const PREFERRED_KEYS = ['state_dict', 'model_state_dict', 'model', 'net', 'network', 'module', 'weights', 'params', 'ema'];

/** A storage referenced by the pickle (persistent id); its bytes are in `data/<key>`. */
class StorageRef extends PyObject {
  readonly pyType = 'torch storage';
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
  ) {
    super();
  }
}

/** A tensor as the pickle describes it: a strided view of a storage. */
class TensorRef extends PyObject {
  readonly pyType = 'torch.Tensor';
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
    readonly dtype: DType,
  ) {
    super();
  }
}

/**
 * What loadPytorchCheckpoint returns: the state dict found in a torch.save file, and the rest of the file's top level.
 */
export interface PytorchCheckpoint {
  /** The tensors of the (first) tensor dict in the file, as contiguous CPU tensors owned by the caller. */
  tensors: Map<string, Tensor>;
  /** Where that dict was found: null for the top level, else the key path (e.g. 'state_dict' or 'model.ema'). */
  key: string | null;
  /** The other top-level entries (epoch, config, ...) as plain JS values; tensors elsewhere are left out. */
  extras: Record<string, unknown>;
}

/** Options of loadPytorchCheckpoint and loadPytorchStateDict. */
export interface LoadPytorchOptions {
  /** Dotted key path of the tensor dict inside a checkpoint (e.g. 'state_dict'); found automatically when omitted. */
  key?: string;
}

function pyErr(path: string, problem: string, hint: string): Error {
  return new Error(`PyTorch file '${path}': ${printable(problem)}. ${hint}`);
}

const RESAVE_HINT = 'In Python, load it and save only the tensors: torch.save(model.state_dict(), "weights.pt") ' +
  '(or export safetensors with safetensors.torch.save_file)';

function asInt(v: PyValue, what: string, path: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw pyErr(path, `${what} is ${describePy(v)}, expected an integer`, 'The file is corrupt or was not written by torch.save');
}

function asIntTuple(v: PyValue, what: string, path: string): number[] {
  // torch.Size pickles as a tuple; tolerate lists too
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (items === null) throw pyErr(path, `${what} is ${describePy(v)}, expected a tuple of integers`, 'The file is corrupt or was not written by torch.save');
  return items.map((x) => asInt(x, what, path));
}

/** The globals a state dict may reference, each mapped to a TypeScript function that builds plain data. */
function makeResolver(path: string): (module: string, name: string) => PyGlobal {
  const rebuildTensor = (args: PyValue[], dtype: DType | null): TensorRef => {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof StorageRef)) throw pyErr(path, `a tensor refers to ${describePy(storage ?? null)} instead of a storage`, 'The file is corrupt');
    return new TensorRef(storage, asInt(offset ?? null, 'storage offset', path), asIntTuple(size ?? null, 'tensor size', path),
      asIntTuple(stride ?? null, 'tensor stride', path), dtype ?? storage.dtype);
  };
  const dataOf = (args: PyValue[]): PyValue => {
    const data = args[0] ?? null;
    if (!(data instanceof TensorRef)) throw pyErr(path, `a Parameter wraps ${describePy(data)} instead of a tensor`, 'The file is corrupt');
    return data;
  };
  // set(iterable) / frozenset(iterable): protocol 2 (torch.save's default) pickles a set as a call with a list
  const setOf = (frozen: boolean) => (args: PyValue[]): PySet => {
    const it = args[0] ?? [];
    const items = Array.isArray(it) ? it : it instanceof PyTuple || it instanceof PySet ? it.items : null;
    if (items === null) throw pyErr(path, `${frozen ? 'frozenset' : 'set'}() of ${describePy(it)}`, 'The file is corrupt');
    return new PySet([...items], frozen);
  };
  return (module, name) => {
    // Python 2 spelled builtins __builtin__, and protocol 2 keeps that spelling (pickle's fix_imports)
    const qual = `${module === '__builtin__' ? 'builtins' : module}.${name}`;
    switch (qual) {
      case 'collections.OrderedDict':
        return new PyGlobal(module, name, () => new PyDict('OrderedDict'));
      case 'collections.Counter':
        // an LR scheduler's state (MultiStepLR's milestones) beside the weights: Counter({milestone: count})
        return new PyGlobal(module, name, (args) => {
          const d = new PyDict('Counter');
          const init = args[0];
          if (init instanceof PyDict) for (const [k, v] of init.map) d.map.set(k, v);
          else if (init !== undefined) throw pyErr(path, `Counter() of ${describePy(init)}`, 'The file is corrupt');
          return d;
        });
      case 'builtins.set':
        return new PyGlobal(module, name, setOf(false));
      case 'builtins.frozenset':
        return new PyGlobal(module, name, setOf(true));
      case 'builtins.bytes':
        // protocol 2 pickles an empty bytes object as bytes() (non-empty ones go through _codecs.encode)
        return new PyGlobal(module, name, (args) => {
          if (args.length !== 0) throw pyErr(path, 'bytes() is only allowed without arguments', RESAVE_HINT);
          return new Uint8Array(0);
        });
      case 'torch._utils._rebuild_tensor_v2':
        return new PyGlobal(module, name, (args) => rebuildTensor(args, null));
      case 'torch._utils._rebuild_tensor_v3':
        return new PyGlobal(module, name, (args) => {
          const dt = args[6];
          if (!(dt instanceof PyGlobal) || dt.module !== 'torch' || !(dt.name in TORCH_DTYPES)) {
            throw pyErr(path, `_rebuild_tensor_v3 got ${describePy(dt ?? null)} as dtype`, 'The file is corrupt or uses a dtype Lethe does not support');
          }
          return rebuildTensor(args, TORCH_DTYPES[dt.name]!);
        });
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state':
        return new PyGlobal(module, name, dataOf);
      case 'torch.Size':
        return new PyGlobal(module, name, (args) => new PyTuple(args[0] instanceof PyTuple ? args[0].items : []));
      case 'torch.device':
        return new PyGlobal(module, name, (args) => args.map((a) => String(a)).join(':'));
      case '_codecs.encode':
        // protocol 2 pickles Python 3 bytes as _codecs.encode(text, 'latin1')
        return new PyGlobal(module, name, (args) => {
          if (typeof args[0] !== 'string' || (args[1] !== 'latin1' && args[1] !== 'latin-1')) {
            throw pyErr(path, '_codecs.encode is only allowed for latin1 bytes', RESAVE_HINT);
          }
          return new Uint8Array(Buffer.from(args[0], 'latin1'));
        });
    }
    if (module === 'torch' && name in STORAGE_DTYPES) return new PyGlobal(module, name);
    if (module === 'torch' && name in TORCH_DTYPES) return new PyGlobal(module, name); // a constant, e.g. for _rebuild_tensor_v3
    if (module === 'torch' && name.endsWith('Storage')) {
      throw pyErr(path, `it holds tensors of type ${qual}, which Lethe does not support`,
        `Supported: ${Object.keys(STORAGE_DTYPES).join(', ')}. Convert them in Python before saving (e.g. t.float())`);
    }
    if (qual.startsWith('torch._utils._rebuild_') || qual === 'torch._tensor._rebuild_from_type_v2') {
      throw pyErr(path, `it holds a tensor kind rebuilt by ${qual} (sparse, quantized, meta, numpy-backed or a Tensor subclass), which Lethe does not load`,
        'Convert such tensors to ordinary dense tensors before saving (e.g. t.to_dense(), t.dequantize(), torch.Tensor(t))');
    }
    throw pyErr(path, `the pickle refers to ${qual}, which Lethe refuses to load (only tensors, dicts and plain Python values are allowed: other objects could run code)`,
      RESAVE_HINT);
  };
}

/** The archive's data.pkl; a malformed pickle (its CRC matched, so it was written so) names the file and what to do. */
function readPickle(data: Uint8Array, path: string): PyValue {
  try {
    return unpickle(data, { source: path, resolveGlobal: makeResolver(path), persistentLoad: makePersistentLoad(path) });
  } catch (e) {
    if (!(e instanceof UnpicklingError)) throw e;
    throw pyErr(path, `its data.pkl is not a valid pickle (${e.problem})`, 'The file is damaged or was not written by torch.save; save it again');
  }
}

function makePersistentLoad(path: string): (pid: PyValue) => PyValue {
  const storages = new Map<string, StorageRef>();
  return (pid) => {
    const items = pid instanceof PyTuple ? pid.items : null;
    if (items === null || items[0] !== 'storage' || items.length < 5) {
      throw pyErr(path, `unknown persistent id ${describePy(pid)}`, 'The file is corrupt or was not written by torch.save');
    }
    const [, type, key, , numel] = items;
    if (!(type instanceof PyGlobal) || !(type.name in STORAGE_DTYPES)) {
      throw pyErr(path, `storage of type ${describePy(type ?? null)} is not supported`, `Supported: ${Object.keys(STORAGE_DTYPES).join(', ')}`);
    }
    if (typeof key !== 'string' || key.includes('/') || key.includes('..')) throw pyErr(path, `invalid storage key ${describePy(key ?? null)}`, 'The file is corrupt');
    const dtype = STORAGE_DTYPES[type.name]!;
    let s = storages.get(key);
    if (s === undefined) {
      s = new StorageRef(key, dtype, asInt(numel ?? null, 'storage size', path));
      storages.set(key, s);
    } else if (s.dtype !== dtype) {
      throw pyErr(path, `storage '${key}' is used with two dtypes (${s.dtype}, ${dtype})`, 'Lethe cannot load reinterpreted storages; save t.clone() instead');
    }
    return s;
  };
}

function isTensorDict(v: PyValue): v is PyDict {
  if (!(v instanceof PyDict)) return false;
  for (const x of v.map.values()) if (x instanceof TensorRef) return true;
  return false;
}

/** Finds the dict of tensors: the top level, else a preferred key, else the first nested dict holding tensors. */
function findTensorDict(root: PyValue, path: string, wanted: string | undefined): { dict: PyDict; key: string | null } {
  if (!(root instanceof PyDict)) {
    throw pyErr(path, `the file holds ${describePy(root)}, not a dict of tensors`,
      'Lethe loads state dicts: in Python, torch.save(model.state_dict(), "weights.pt") or torch.save({"name": tensor, ...}, ...)');
  }
  if (wanted !== undefined) {
    let cur: PyValue = root;
    for (const part of wanted.split('.')) {
      if (!(cur instanceof PyDict) || !cur.map.has(part)) throw pyErr(path, `it has no entry '${wanted}'`, `Top-level keys: ${[...root.map.keys()].map(String).join(', ')}`);
      cur = cur.map.get(part)!;
    }
    if (!isTensorDict(cur)) throw pyErr(path, `entry '${wanted}' holds ${describePy(cur)}, not a dict of tensors`, 'Pick another key');
    return { dict: cur, key: wanted };
  }
  if (isTensorDict(root)) return { dict: root, key: null };
  // breadth-first, preferred keys first at each level
  const queue: { dict: PyDict; key: string }[] = [];
  const enqueue = (d: PyDict, prefix: string): void => {
    const keys = [...d.map.keys()].filter((k): k is string => typeof k === 'string');
    keys.sort((a, b) => rank(a) - rank(b));
    for (const k of keys) {
      const v = d.map.get(k)!;
      if (v instanceof PyDict) queue.push({ dict: v, key: prefix === '' ? k : `${prefix}.${k}` });
    }
  };
  const rank = (k: string): number => {
    const i = PREFERRED_KEYS.indexOf(k);
    return i < 0 ? PREFERRED_KEYS.length : i;
  };
  enqueue(root, '');
  for (let i = 0; i < queue.length && i < 10_000; i++) {
    const { dict, key } = queue[i]!;
    if (isTensorDict(dict)) return { dict, key };
    enqueue(dict, key);
  }
  throw pyErr(path, 'it holds a dict with no tensors in it', 'Save the model weights: torch.save(model.state_dict(), "weights.pt")');
}

/** Plain JS view of non-tensor values (for checkpoint extras such as epoch or config). */
function toPlain(v: PyValue): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof PyTuple) return v.items.map(toPlain);
  if (v instanceof PySet) return v.items.map(toPlain);
  if (v instanceof PyDict) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v.map) if (!(x instanceof TensorRef)) out[String(k)] = toPlain(x);
    return out;
  }
  if (v instanceof PyGlobal) return v.qualname;
  return `<${v.pyType}>`;
}

function byteSwapped(bytes: Buffer, itemSize: number): Buffer {
  const copy = Buffer.from(bytes);
  if (itemSize === 2) copy.swap16();
  else if (itemSize === 4) copy.swap32();
  else if (itemSize === 8) copy.swap64();
  return copy;
}

/** Materializes the tensors: one tensor per storage, then a contiguous copy of each strided view of it. */
function buildTensors(dict: PyDict, zip: ZipReader, prefix: string, path: string, bigEndian: boolean): Map<string, Tensor> {
  const refs: [string, TensorRef][] = [];
  for (const [k, v] of dict.map) if (v instanceof TensorRef) refs.push([String(k), v]);
  return tidy(() => {
    const storages = new Map<string, Tensor>();
    const storageTensor = (s: StorageRef): Tensor => {
      let t = storages.get(s.key);
      if (t !== undefined) return t;
      const record = `${prefix}data/${s.key}`;
      if (!zip.has(record)) throw pyErr(path, `the archive lacks the storage record '${record}'`, 'The file is truncated or corrupt; save it again');
      let bytes = zip.read(record);
      const item = ITEM_SIZE[s.dtype];
      if (bytes.length % item !== 0 || bytes.length / item < s.numel) {
        throw pyErr(path, `storage '${s.key}' has ${bytes.length} bytes, but ${s.numel} elements of ${s.dtype} need ${s.numel * item}`, 'The file is corrupt');
      }
      if (bigEndian && item > 1) bytes = byteSwapped(bytes, item);
      t = fromBuffer(bytes, s.dtype, [bytes.length / item]);
      storages.set(s.key, t);
      return t;
    };
    const out = new Map<string, Tensor>();
    for (const [name, r] of refs) {
      if (r.size.length !== r.stride.length) throw pyErr(path, `tensor '${name}' has ${r.size.length} sizes but ${r.stride.length} strides`, 'The file is corrupt');
      if (r.dtype !== r.storage.dtype) throw pyErr(path, `tensor '${name}' (${r.dtype}) views a ${r.storage.dtype} storage`, 'Save t.clone() instead');
      const storage = storageTensor(r.storage);
      // Bounds check before as_strided: the furthest element must lie inside the storage.
      const numel = r.size.reduce((a, b) => a * b, 1);
      if (r.size.some((d) => d < 0) || r.stride.some((d) => d < 0) || r.offset < 0) {
        throw pyErr(path, `tensor '${name}' has a negative size, stride or offset`, 'The file is corrupt');
      }
      const last = r.offset + r.size.reduce((acc, d, i) => acc + (d > 0 ? (d - 1) * r.stride[i]! : 0), 0);
      if (numel > 0 && last >= storage.numel()) {
        throw pyErr(path, `tensor '${name}' (offset ${r.offset}, size [${r.size}], stride [${r.stride}]) reaches past its storage of ${storage.numel()} elements`, 'The file is corrupt');
      }
      // A view with stride 0 (a saved expand()) is materialised in full below: refuse what memory cannot hold,
      // before libtorch's allocator fails with a raw message.
      const bytes = numel * ITEM_SIZE[r.dtype];
      if (bytes > totalmem()) {
        throw pyErr(path, `tensor '${name}' (size [${r.size}], stride [${r.stride}]) would take ${(bytes / 2 ** 30).toFixed(1)} GiB when copied out of its ${storage.numel()}-element storage, more than this machine's memory`, 'The file is corrupt, or save t.clone() instead of an expanded view');
      }
      const view = call(aten('as_strided'), storage, r.size, r.stride, r.offset);
      // An independent contiguous copy (memory_format 0 = contiguous): callers own each tensor separately, and
      // a small view must not keep a large shared storage alive. Returning the Map from tidy hands them to the
      // caller's scope; the storages and views are freed.
      out.set(name, call(aten('clone'), view, 0));
    }
    return out;
  });
}

/** True when the bytes start like a pre-1.6 torch.save file: a pickle opening with the magic number 0x1950a86a20f9469cfc6c (as LONG1). */
export function looksLikeLegacyTorchSave(buf: Uint8Array): boolean {
  return buf.length >= 14 && buf[0] === 0x80 && buf[2] === 0x8a && buf[3] === 0x0a && buf[4] === 0x6c && buf[5] === 0xfc && buf[6] === 0x9c && buf[7] === 0x46;
}

/** Loads a torch.save file; see loadPytorchStateDict. Also returns where the tensors were found and the other entries. */
export function loadPytorchCheckpoint(path: string, opts: LoadPytorchOptions = {}): PytorchCheckpoint {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new Error(`PyTorch file '${path}': cannot be read (${(e as Error).message})`);
  }
  return parsePytorchCheckpoint(buf, path, opts);
}

/** Parses the bytes of a torch.save file (as loadPytorchCheckpoint does for a path); `path` only names it in errors. */
export function parsePytorchCheckpoint(buf: Buffer, path: string, opts: LoadPytorchOptions = {}): PytorchCheckpoint {
  if (!looksLikeZip(buf)) {
    if (looksLikeLegacyTorchSave(buf)) {
      throw pyErr(path, 'it uses the legacy (pre-1.6, non-zip) torch.save format, which Lethe does not read',
        'Re-save it with a current PyTorch: torch.save(torch.load(f), "weights.pt")');
    }
    throw pyErr(path, 'it is not a zip archive, so not a torch.save file (PyTorch >= 1.6)', 'Check the path; for safetensors files use loadSafetensors');
  }
  const zip = new ZipReader(buf, path);
  const names = zip.names();
  const pkl = names.find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkl === undefined) {
    if (names.some((n) => /(^|\/)constants\.pkl$/.test(n) || /(^|\/)code\//.test(n))) {
      throw pyErr(path, 'it is a TorchScript archive (torch.jit.save), not a state dict',
        'In Python: torch.save(torch.jit.load(f).state_dict(), "weights.pt")');
    }
    throw pyErr(path, 'it is a zip archive without a data.pkl record, so not a torch.save file', 'Check the path');
  }
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  if (zip.has(`${prefix}constants.pkl`)) {
    throw pyErr(path, 'it is a TorchScript archive (torch.jit.save), not a state dict', 'In Python: torch.save(torch.jit.load(f).state_dict(), "weights.pt")');
  }
  let bigEndian = false;
  if (zip.has(`${prefix}byteorder`)) {
    const order = zip.read(`${prefix}byteorder`).toString('latin1').trim();
    if (order !== 'little' && order !== 'big') throw pyErr(path, `unknown byte order '${order}'`, 'The file is corrupt');
    bigEndian = order === 'big';
  }
  const root = readPickle(zip.read(pkl), path);
  const { dict, key } = findTensorDict(root, path, opts.key);
  const tensors = buildTensors(dict, zip, prefix, path, bigEndian);
  const extras: Record<string, unknown> = {};
  if (root instanceof PyDict && key !== null) {
    for (const [k, v] of root.map) {
      if (String(k) !== key.split('.')[0] && !(v instanceof TensorRef)) extras[String(k)] = toPlain(v);
    }
  }
  return { tensors, key, extras };
}

/**
 * Loads the tensors of a PyTorch `torch.save` file (`.pt`/`.pth`, PyTorch >= 1.6): `torch.save(model.state_dict())`,
 * `torch.save(dict(...))`, or a checkpoint dict holding a state dict (found under 'state_dict', 'model', ... or the
 * first nested dict of tensors; use loadPytorchCheckpoint to learn which key, or pass `key`). Tensors are
 * contiguous CPU copies owned by the caller. Files holding anything but plain data and tensors are refused.
 */
export function loadPytorchStateDict(path: string, opts: LoadPytorchOptions = {}): Map<string, Tensor> {
  return loadPytorchCheckpoint(path, opts).tensors;
}
