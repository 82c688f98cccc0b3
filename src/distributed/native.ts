// Typed access to the addon's c10d entry points (native/distributed.cpp). Only src/distributed talks to them.
import { native, type Handle } from '../torch/native.js';

/** An opaque c10d TCPStore (rendezvous key-value store). */
export interface StoreHandle {
  readonly __store: unique symbol;
}
/** An opaque c10d ProcessGroupGloo. */
export interface GroupHandle {
  readonly __group: unique symbol;
}

/** Where this rank's Gloo connections bind: a network interface, an address/hostname, or Gloo's default. */
export type GlooDevice = { interface: string } | { hostname: string } | Record<string, never>;

interface DistributedAddon {
  distStoreCreate(host: string, port: number, isServer: boolean, worldSize: number, timeoutMs: number): StoreHandle;
  distStorePort(store: StoreHandle): number;
  distStoreDestroy(store: StoreHandle): void;
  distGroupCreate(store: StoreHandle, rank: number, size: number, device: GlooDevice, timeoutMs: number): GroupHandle;
  distGroupDestroy(group: GroupHandle): void;
  distAllReduceSum(group: GroupHandle, tensors: Handle[]): void;
  distBroadcast(group: GroupHandle, tensors: Handle[], root: number): void;
  distBarrier(group: GroupHandle): void;
}

/** The addon's c10d functions; throws a clear error if the addon was built before they existed. */
export function distributedAddon(): DistributedAddon {
  const addon = native as unknown as Partial<DistributedAddon>;
  if (typeof addon.distGroupCreate !== 'function') {
    throw new Error(
      'this build of the Lethe native addon has no distributed support: rebuild it with `npm run build:native` ' +
        "(needs Debian's libgloo-dev for the Gloo headers)",
    );
  }
  return addon as DistributedAddon;
}
