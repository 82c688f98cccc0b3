// A seeded pseudo-random generator in plain TypeScript, for everything that *selects* data: train/validation
// splits, forget sets, loader shuffling, synthetic data.
//
// Why not libtorch's generator: a split or forget set is part of an experiment's identity (it is written into
// checkpoint manifests as "seed 1"), so it must not change when libtorch's sampling algorithms change between
// versions, or between CPU and CUDA builds. This file pins the algorithms:
//
// - Stream: xoshiro128** 1.1 (D. Blackman and S. Vigna, "Scrambled linear pseudorandom number generators",
//   ACM TOMS 47(4), 2021; reference C code at prng.di.unimi.it). 128-bit state, 32-bit outputs, period 2^128 − 1.
//   Pure 32-bit integer arithmetic, so it is exact and fast with JS numbers (Math.imul, >>> 0).
// - Seeding: the 128-bit state is filled from two outputs of splitmix64 (Steele, Lea and Flood, "Fast splittable
//   pseudorandom number generators", OOPSLA 2014; the seeding method Vigna recommends for xoshiro), run on the
//   64-bit seed. splitmix64 uses BigInt, but only a handful of times per generator.
// - Derived streams: deriveSeed(seed, 'split'), deriveSeed(seed, 'loader', epoch), ... hash the seed with labels
//   (splitmix64's finaliser over each part) so one user seed drives independent, reproducible streams.
// - Uniform integers in [0, n): rejection sampling on 32-bit outputs (draw x, reject x ≥ 2^32 − (2^32 mod n),
//   return x mod n), which is exactly unbiased.
// - Shuffling: Fisher–Yates in Durstenfeld's form (for i = n−1 … 1: j = uniform(0..i), swap a[i], a[j]).
import { range } from '../util/range.js';

const MASK64 = (1n << 64n) - 1n;
const GOLDEN64 = 0x9e3779b97f4a7c15n;

/** splitmix64's output function (the "mix" step, variant 13 of Stafford's mixers). */
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** A seed: a non-negative safe integer, or a 64-bit BigInt (as returned by deriveSeed). */
export type Seed = number | bigint;

function checkSeed(seed: Seed, what: string): bigint {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed > MASK64) throw new RangeError(`${what}: a bigint seed must be in [0, 2^64), got ${seed}`);
    return seed;
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`${what}: seed must be a non-negative integer (at most 2^53 − 1), got ${String(seed)}`);
  }
  return BigInt(seed);
}

/** FNV-1a (64-bit) of a label's UTF-8 bytes: turns stream names like 'split' into 64-bit words. */
function hashLabel(label: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(label)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & MASK64;
  }
  return h;
}

/**
 * A 64-bit seed for an independent stream derived from `seed` and labels (strings or non-negative integers):
 * h = mix64(seed); for each part p: h = mix64(h + GOLDEN64 + word(p)). Same inputs, same output, forever.
 */
export function deriveSeed(seed: Seed, ...parts: readonly (string | number)[]): bigint {
  let h = mix64(checkSeed(seed, 'deriveSeed'));
  for (const p of parts) {
    const word = typeof p === 'string' ? hashLabel(p) : checkSeed(p, 'deriveSeed (numeric part)');
    h = mix64((h + GOLDEN64 + word) & MASK64);
  }
  return h;
}

const TWO32 = 0x1_0000_0000;

/** xoshiro128** seeded through splitmix64. Not for cryptography. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: Seed) {
    let x = checkSeed(seed, 'Rng');
    // Two splitmix64 outputs give the four 32-bit state words; splitmix64 never yields four zero words in a row.
    const words: number[] = [];
    for (let i = 0; i < 2; i++) {
      x = (x + GOLDEN64) & MASK64;
      const z = mix64(x);
      words.push(Number(z & 0xffffffffn), Number(z >> 32n));
    }
    [this.s0, this.s1, this.s2, this.s3] = words as [number, number, number, number];
  }

  /** @internal A generator with the given raw state words (for checking against the reference test vectors). */
  static fromState(s0: number, s1: number, s2: number, s3: number): Rng {
    const r = new Rng(0);
    r.s0 = s0 | 0;
    r.s1 = s1 | 0;
    r.s2 = s2 | 0;
    r.s3 = s3 | 0;
    return r;
  }

  /** The next 32-bit output as an unsigned integer in [0, 2^32). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float uniform on [0, 1) with 53 random bits (two outputs: 27 high bits, 26 low bits). */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** An integer uniform on [0, n), exactly unbiased (rejection sampling); n in [1, 2^32]. */
  uniformInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO32) throw new RangeError(`Rng.uniformInt: n must be an integer in [1, 2^32], got ${n}`);
    const limit = TWO32 - (TWO32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** A standard normal draw (Box–Muller on two nextFloat values; one value per call, the pair's twin dropped). */
  normal(): number {
    const u = 1 - this.nextFloat(); // (0, 1]: log stays finite
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles `a` in place (Fisher–Yates, Durstenfeld) and returns it. Use on arrays you own. */
  shuffleInPlace<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.uniformInt(i + 1);
      const tmp = a[i]!;
      a[i] = a[j]!;
      a[j] = tmp;
    }
    return a;
  }

  /** A uniformly random permutation of 0 … n−1. */
  permutation(n: number): Int32Array {
    checkCount(n, 'Rng.permutation');
    return this.shuffleInPlace(range(0, n));
  }

  /**
   * k distinct integers from 0 … n−1, uniformly (a partial Fisher–Yates: for i = 0 … k−1, j = i + uniform(n − i),
   * swap; the first k entries), in selection order. Sort them if order does not matter.
   */
  sample(n: number, k: number): Int32Array {
    checkCount(n, 'Rng.sample');
    if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`Rng.sample: k must be an integer in [0, ${n}], got ${k}`);
    const a = range(0, n);
    for (let i = 0; i < k; i++) {
      const j = i + this.uniformInt(n - i);
      const tmp = a[i]!;
      a[i] = a[j]!;
      a[j] = tmp;
    }
    return a.slice(0, k);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`${what}: n must be an integer in [0, 2^31), got ${n}`);
}
