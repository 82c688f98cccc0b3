// Bucketed all-reduce: many tensors reduced with a few large collectives.
//
// Tensors are grouped in order, by dtype, into buckets of at most `capBytes` (a tensor larger than the cap gets
// a bucket of its own). Each bucket is flattened with one cat, reduced with one all-reduce, scaled, and split
// back into the original tensors with copy_. One large message costs far less than many small ones (Gloo's
// per-collective latency is ~50-100 µs on loopback), at the price of one extra copy of the data each way.
import { cat, noGrad, tidy, type Tensor } from '../torch/index.js';
import type { DType } from '../torch/dtype.js';
import type { ProcessGroup } from './group.js';

/** PyTorch DDP's default bucket size. */
export const DEFAULT_BUCKET_CAP_BYTES = 25 * 1024 * 1024;

const BYTES: Partial<Record<DType, number>> = { float64: 8, int64: 8, float32: 4, int32: 4, float16: 2, bfloat16: 2, int16: 2, int8: 1, uint8: 1, bool: 1 };

/** Indices of `tensors` grouped into buckets (same dtype, ≤ capBytes each), in order of first appearance. */
export function planBuckets(tensors: readonly Tensor[], capBytes = DEFAULT_BUCKET_CAP_BYTES): number[][] {
  if (!(capBytes > 0)) throw new RangeError(`bucket cap must be positive, got ${capBytes} bytes`);
  const open = new Map<DType, { members: number[]; bytes: number }>();
  const out: number[][] = [];
  tensors.forEach((t, i) => {
    const dtype = t.dtype;
    const bytes = t.numel() * (BYTES[dtype] ?? 4);
    let b = open.get(dtype);
    if (b !== undefined && b.bytes + bytes > capBytes && b.members.length > 0) {
      out.push(b.members);
      b = undefined;
    }
    if (b === undefined) {
      b = { members: [], bytes: 0 };
      open.set(dtype, b);
    }
    b.members.push(i);
    b.bytes += bytes;
  });
  for (const b of open.values()) if (b.members.length > 0) out.push(b.members);
  return out;
}

/** Options of bucketedAllReduce_. */
export interface BucketedReduceOptions {
  /** multiply the sums by this (e.g. 1 / worldSize for a mean); default 1 */
  scale?: number;
  /** Largest bucket in bytes (default DEFAULT_BUCKET_CAP_BYTES, 25 MiB); must be positive. */
  capBytes?: number;
  /** small tensors reduced (summed, unscaled) in the same batch of collectives, e.g. flags */
  extra?: readonly Tensor[];
}

/**
 * In place: every tensor becomes scale × Σ_ranks tensor. All collectives of the call are queued together, so
 * the buckets pipeline. Every rank must pass tensors of the same shapes and dtypes in the same order.
 */
export function bucketedAllReduce_(group: ProcessGroup, tensors: readonly Tensor[], o: BucketedReduceOptions = {}): void {
  const scale = o.scale ?? 1;
  if (group.worldSize === 1) {
    // One process: the sum over ranks is the tensor itself; skip the copies and the collective.
    if (scale !== 1) noGrad(() => tensors.forEach((t) => t.mul_(scale)));
    return;
  }
  const plan = planBuckets(tensors, o.capBytes);
  noGrad(() =>
    tidy(() => {
      // A bucket of one contiguous tensor is reduced in place through a flat view: no copies at all.
      const direct = plan.map((members) => members.length === 1 && tensors[members[0]!]!.isContiguous());
      const flats = plan.map((members, b) => (direct[b] ? tensors[members[0]!]!.view(-1) : cat(members.map((i) => tensors[i]!.reshape(-1)))));
      group.allReduce_([...(o.extra ?? []), ...flats]);
      plan.forEach((members, b) => {
        const flat = flats[b]!;
        if (scale !== 1) flat.mul_(scale);
        if (direct[b]) return;
        let offset = 0;
        for (const i of members) {
          const t = tensors[i]!;
          const n = t.numel();
          t.copy_(flat.narrow(0, offset, n).view(t.shape));
          offset += n;
        }
      });
    }),
  );
}
