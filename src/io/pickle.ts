// A restricted Python unpickler: builds plain data (None, bools, ints, floats, str, bytes, lists, tuples, dicts,
// sets) and nothing else unless the caller's `resolveGlobal` allows a specific global. It never imports modules
// or runs code: an allowed global is a TypeScript function chosen by the caller, and any other global is an
// error. Handles the binary opcodes of pickle protocols 2 to 5 and the simple text ones of protocols 0/1.

import { printable } from './printable.js';

/** Base of the objects callers build from allowed globals (e.g. tensor references). */
export abstract class PyObject {
  abstract readonly pyType: string;
}

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** dict / collections.OrderedDict; `attributes` holds instance state set by BUILD (e.g. a state dict's _metadata). */
export class PyDict {
  readonly map = new Map<PyValue, PyValue>();
  readonly attributes = new Map<string, PyValue>();
  constructor(readonly className = 'dict') {}
}

export class PySet {
  constructor(
    readonly items: PyValue[],
    readonly frozen: boolean,
  ) {}
}

/**
 * A global the caller allowed: a constant (e.g. `torch.FloatStorage`, `torch.float32`) and, when `call` is set,
 * a callable (REDUCE / NEWOBJ). `build` handles BUILD on objects it created, if they accept state.
 */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly call?: (args: PyValue[]) => PyValue,
  ) {}
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PySet | PyGlobal | PyObject;

export interface UnpickleOptions {
  /** Names the data in error messages (a file path). */
  source: string;
  /** Returns the allowed global, or throws an Error explaining why it is not allowed. */
  resolveGlobal(module: string, name: string): PyGlobal;
  /** BINPERSID / PERSID: turns a persistent id into a value (torch.save uses it for storages). */
  persistentLoad?(pid: PyValue): PyValue;
}

export class UnpicklingError extends Error {
  constructor(
    source: string,
    /** what is wrong, without the source */
    readonly problem: string,
  ) {
    super(`pickle data in '${source}': ${printable(problem)}`);
    this.name = 'UnpicklingError';
  }
}

/** A short human description of a value, for error messages. */
export function describePy(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'a bool';
  if (typeof v === 'number' || typeof v === 'bigint') return Number.isInteger(v) || typeof v === 'bigint' ? 'an int' : 'a float';
  if (typeof v === 'string') return 'a str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof PyTuple) return 'a tuple';
  if (v instanceof PyDict) return v.className === 'dict' ? 'a dict' : `a ${v.className}`;
  if (v instanceof PySet) return v.frozen ? 'a frozenset' : 'a set';
  if (v instanceof PyGlobal) return v.qualname;
  return `a ${v.pyType}`;
}

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Unpickles `data` (one pickle, up to STOP). */
export function unpickle(data: Uint8Array, opts: UnpickleOptions): PyValue {
  const src = opts.source;
  const fail = (problem: string): never => {
    throw new UnpicklingError(src, problem);
  };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  const stack: StackItem[] = [];
  const memo = new Map<number, PyValue>();

  const need = (n: number): number => {
    if (n < 0 || pos + n > data.length) fail(`truncated at byte ${pos} (needs ${n} more bytes, has ${data.length - pos})`);
    const p = pos;
    pos += n;
    return p;
  };
  const u8 = (): number => data[need(1)]!;
  const u16 = (): number => view.getUint16(need(2), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const u64 = (): number => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(data.length)) fail(`length ${v} at byte ${pos - 8} exceeds the data size`);
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => data.subarray(need(n), pos);
  const text = (n: number): string => {
    const b = bytes(n);
    try {
      return utf8.decode(b);
    } catch {
      return fail(`invalid UTF-8 string before byte ${pos}`);
    }
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail(`unterminated text field at byte ${pos}`);
    const s = Buffer.from(data.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined) fail(`stack underflow at byte ${pos - 1}`);
    if (v === MARK) fail(`unexpected MARK at byte ${pos - 1}`);
    return v as PyValue;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail(`empty stack at byte ${pos - 1}`);
    return v as PyValue;
  };
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail(`no MARK on the stack at byte ${pos - 1}`);
    const items = stack.splice(i) as PyValue[];
    items.shift();
    return items;
  };
  const memoGet = (i: number): PyValue => {
    if (!memo.has(i)) fail(`memo entry ${i} read before it was written`);
    return memo.get(i)!;
  };
  const normInt = (v: bigint): number | bigint => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
  const decodeLong = (b: Uint8Array): number | bigint => {
    // little-endian two's complement
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b.length > 0 && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return normInt(v);
  };
  const setItems = (target: PyValue, items: PyValue[]): void => {
    if (!(target instanceof PyDict)) fail(`SETITEM(S) on ${describePy(target)}`);
    const d = target as PyDict;
    for (let i = 0; i + 1 < items.length; i += 2) d.map.set(items[i]!, items[i + 1]!);
  };
  const appendItems = (target: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(target)) fail(`APPEND(S) on ${describePy(target)}`);
    (target as PyValue[]).push(...items);
  };
  const callGlobal = (fn: PyValue, args: PyValue, how: string): PyValue => {
    if (!(fn instanceof PyGlobal) || fn.call === undefined) return fail(`${how} calls ${describePy(fn)}, which is not an allowed callable`);
    if (!(args instanceof PyTuple)) return fail(`${how} of ${fn.qualname} with ${describePy(args)} instead of an argument tuple`);
    return fn.call(args.items);
  };
  const global = (module: string, name: string): PyGlobal => opts.resolveGlobal(module, name);
  const persistent = (pid: PyValue): PyValue => {
    if (opts.persistentLoad === undefined) return fail('persistent id found but no persistent loader was given');
    return opts.persistentLoad(pid);
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('pickle protocol above 5 is not supported');
        break;
      case 0x95: // FRAME (a length hint only)
        need(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} items on the stack`);
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        if (stack.pop() === undefined) fail(`POP on an empty stack at byte ${at}`);
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      // ---- constants and numbers
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(bytes(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = view.getInt32(need(4), true);
        if (n < 0) fail(`negative LONG4 length at byte ${at}`);
        stack.push(decodeLong(bytes(n)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x49: {
        // INT (text); "I00"/"I01" are protocol-0 booleans
        const s = line();
        if (s === '00' || s === '01') stack.push(s === '01');
        else if (/^[-+]?\d+$/.test(s)) stack.push(normInt(BigInt(s)));
        else fail(`invalid INT '${s}' at byte ${at}`);
        break;
      }
      case 0x4c: {
        // LONG (text)
        const s = line().replace(/L$/, '');
        if (!/^[-+]?\d+$/.test(s)) fail(`invalid LONG '${s}' at byte ${at}`);
        stack.push(normInt(BigInt(s)));
        break;
      }
      case 0x46: {
        // FLOAT (text)
        const f = Number(line());
        if (Number.isNaN(f)) fail(`invalid FLOAT at byte ${at}`);
        stack.push(f);
        break;
      }
      // ---- strings and bytes
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x54: // BINSTRING (Python 2 str): decoded as latin-1, as Python 3's pickle does with encoding='latin1'
        stack.push(Buffer.from(bytes(view.getInt32(need(4), true))).toString('latin1'));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(Buffer.from(bytes(u8())).toString('latin1'));
        break;
      case 0x42: // BINBYTES
        stack.push(bytes(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(bytes(u64()).slice());
        break;
      // ---- containers
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new PySet([], false));
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet)) fail(`ADDITEMS on ${describePy(s)}`);
        (s as PySet).items.push(...items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new PySet(popMark(), true));
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      // ---- memo
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x70: // PUT (text)
        memo.set(Number(line()), top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x67: // GET (text)
        stack.push(memoGet(Number(line())));
        break;
      // ---- globals, calls and object state: only what the caller allows
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(`STACK_GLOBAL with non-string names at byte ${at}`);
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(callGlobal(fn, args, 'REDUCE'));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args); allowed classes are built by their TypeScript factory
        const args = pop();
        const cls = pop();
        stack.push(callGlobal(cls, args, 'NEWOBJ'));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyDict) {
          // An OrderedDict subclass instance's __dict__ (state dicts carry `_metadata` this way).
          const dictState = state instanceof PyTuple ? state.items[0] : state;
          if (dictState instanceof PyDict) {
            for (const [k, v] of dictState.map) if (typeof k === 'string') obj.attributes.set(k, v);
          } else if (dictState !== null && dictState !== undefined) {
            fail(`BUILD of ${describePy(obj)} with ${describePy(dictState)}`);
          }
        } else {
          fail(`BUILD (setting object state) on ${describePy(obj)} is not supported`);
        }
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      case 0x50: // PERSID (text)
        stack.push(persistent(line()));
        break;
      default:
        fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at} (arbitrary objects, extension codes and out-of-band buffers are not loaded)`);
    }
  }
}
