// Memory scopes: tidy(fn) frees every tensor created inside fn except what fn returns or keep()s.
//
// Scopes nest. A tensor belongs to the innermost open scope at its creation; when a tidy ends, the tensors it
// returns move to the enclosing scope (or become untracked at top level), everything else is disposed.
// tidy is synchronous by design (as in TensorFlow.js): an async fn would let unrelated tensors join the
// scope. For async code use an explicit Scope: `using s = new Scope(); s.track(t)`.

/** What a scope can hold: anything with dispose(). Tensors register themselves through `track`. */
export interface Trackable {
  dispose(): void;
  /** Not for users: the scope currently responsible for this object, if any (tidy, keep and Scope set it). */
  _scope: Scope | null;
}

/**
 * An explicit memory scope: tensors passed to track() are disposed with the scope (`using s = new Scope()`). Unlike
 * tidy, it can span async code; it does not capture new tensors by itself.
 */
export class Scope {
  private readonly items = new Set<Trackable>();
  private disposed = false;

  /** Adds an object to this scope (moving it out of any other scope). Returns it for chaining. */
  track<T extends Trackable>(item: T): T {
    if (this.disposed) throw new Error('Scope.track: the scope was already disposed');
    if (item._scope !== null) item._scope.items.delete(item);
    item._scope = this;
    this.items.add(item);
    return item;
  }

  /** Removes an object from this scope without disposing it. */
  untrack(item: Trackable): void {
    if (item._scope === this) {
      this.items.delete(item);
      item._scope = null;
    }
  }

  /** The number of objects it still tracks. */
  get size(): number {
    return this.items.size;
  }

  /** Disposes everything still tracked by this scope. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const item of this.items) {
      item._scope = null;
      item.dispose();
    }
    this.items.clear();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

const stack: Scope[] = [];

/** The innermost open tidy scope, or null at top level. */
export function currentScope(): Scope | null {
  return stack.length > 0 ? stack[stack.length - 1]! : null;
}

/** Called by every new tensor. */
export function register(item: Trackable): void {
  const scope = currentScope();
  if (scope !== null) scope.track(item);
}

/** Marks an object so no enclosing tidy disposes it; the caller now owns it. */
export function keep<T extends Trackable>(item: T): T {
  if (item._scope !== null) item._scope.untrack(item);
  return item;
}

function isTrackable(x: unknown): x is Trackable {
  return typeof x === 'object' && x !== null && '_scope' in x && typeof (x as Trackable).dispose === 'function';
}

/** Collects the trackables reachable from a returned value (arrays, Maps, Sets and plain objects, walked deeply). */
function collect(value: unknown, out: Set<Trackable>, seen: Set<unknown>): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  if (isTrackable(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, seen);
  } else if (value instanceof Map) {
    for (const [k, v] of value) {
      collect(k, out, seen);
      collect(v, out, seen);
    }
  } else if (value instanceof Set) {
    for (const v of value) collect(v, out, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    for (const v of Object.values(value)) collect(v, out, seen);
  }
}

/**
 * Runs fn; disposes every tensor created during it except the ones reachable from its result (which move to
 * the enclosing scope) and the ones passed to keep(). fn must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Scope();
  stack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    scope.dispose();
    throw e;
  }
  stack.pop();
  if (result instanceof Promise) {
    scope.dispose();
    throw new Error('tidy(fn): fn returned a Promise; tidy only supports synchronous functions (use a Scope for async code)');
  }
  const survivors = new Set<Trackable>();
  collect(result, survivors, new Set());
  const parent = currentScope();
  for (const item of survivors) {
    if (item._scope !== scope) continue;
    if (parent !== null) parent.track(item);
    else scope.untrack(item);
  }
  scope.dispose();
  return result;
}
