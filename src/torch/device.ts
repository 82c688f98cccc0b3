// Device strings ('cpu', 'cuda', 'cuda:1') and availability checks with actionable errors.
import { native } from './native.js';

/** Where a tensor lives: 'cpu', 'cuda' (the current GPU) or 'cuda:N'. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

/** Whether this libtorch build sees CUDA devices, and how many. */
export const cuda = {
  isAvailable(): boolean {
    return native.cudaDeviceCount() > 0;
  },
  deviceCount(): number {
    return native.cudaDeviceCount();
  },
};

/** Validates a device string and that the device exists; returns it normalised. */
export function checkDevice(device: string): Device {
  if (device === 'cpu') return 'cpu';
  const m = /^cuda(?::(\d+))?$/.exec(device);
  if (!m) throw new TypeError(`unknown device '${device}'; expected 'cpu', 'cuda' or 'cuda:N'`);
  const count = native.cudaDeviceCount();
  const index = m[1] === undefined ? 0 : Number(m[1]);
  if (count === 0) {
    throw new Error(
      `device '${device}' is not available: this libtorch build has no CUDA support or no GPU is visible. ` +
        'Use --device cpu, or rebuild Lethe against a CUDA libtorch with LIBTORCH=/path/to/libtorch npm run build:native.',
    );
  }
  if (index >= count) {
    throw new Error(`device '${device}' is not available: ${count} CUDA device(s) visible (cuda:0..cuda:${count - 1})`);
  }
  return device as Device;
}
