// Calls into libtorch's operator dispatcher by schema name. Each operator is looked up once, lazily.
import { native, type NativeArg, type NativeValue } from './native.js';

export class AtenOp {
  private id = -1;
  constructor(
    readonly name: string,
    readonly overload: string = '',
  ) {}

  private resolve(): number {
    if (this.id < 0) this.id = native.lookup(this.name, this.overload);
    return this.id;
  }

  call(args: NativeArg[]): NativeValue {
    return native.call(this.resolve(), args);
  }

  callInPlace(args: NativeArg[]): void {
    native.callInPlace(this.resolve(), args);
  }

  /** The operator's schema string, e.g. for documentation and error messages. */
  schema(): string {
    return native.schema(this.resolve());
  }
}

const table = new Map<string, AtenOp>();

/** The operator `aten::name.overload` (cached). */
export function aten(name: string, overload = ''): AtenOp {
  const key = `${name}.${overload}`;
  let op = table.get(key);
  if (op === undefined) {
    op = new AtenOp(name.includes('::') ? name : `aten::${name}`, overload);
    table.set(key, op);
  }
  return op;
}
