// The platform (spec §3 `platform`) and the cache maintenance the DMA API does on it (spec §6), kept as a
// table a reader can check against the spec line by line.

import type { Direction } from '../language/ast';
import { Maintenance, maintain } from './cache';
import type { DeviceConfig } from './device';
import { traced } from './report';
import type { MachineState } from './state';

export type Arch = 'arm64' | 'arm' | 'x86_64';

export interface Platform {
  arch: Arch;
  /** DMA snoops the CPU cache for every device. */
  coherent: boolean;
  /** swiotlb=force: every streaming mapping of a device without an IOMMU bounces. */
  swiotlbForce: boolean;
}

/** What one maintenance step does, and the kernel routine that does it. */
interface Step {
  op: Maintenance;
  fn: string;
}

/** Spec §6, noncoherent platforms. `null`: nothing is done. x86_64 noncoherent follows the arm64 column. */
export const MAINTENANCE_TABLE: Record<'arm64' | 'arm', { forDevice: Record<Direction, Step>; forCpu: Record<Direction, Step | null> }> = {
  arm64: {
    // map / sync_for_device, any direction: clean the range to memory.
    forDevice: {
      TO_DEVICE: { op: 'clean', fn: 'dcache_clean_poc' },
      FROM_DEVICE: { op: 'clean', fn: 'dcache_clean_poc' },
      BIDIRECTIONAL: { op: 'clean', fn: 'dcache_clean_poc' },
    },
    // unmap / sync_for_cpu: invalidate for FROM_DEVICE and BIDIRECTIONAL, nothing for TO_DEVICE.
    forCpu: {
      TO_DEVICE: null,
      FROM_DEVICE: { op: 'invalidate', fn: 'dcache_inval_poc' },
      BIDIRECTIONAL: { op: 'invalidate', fn: 'dcache_inval_poc' },
    },
  },
  arm: {
    // FROM_DEVICE: invalidate; otherwise clean.
    forDevice: {
      TO_DEVICE: { op: 'clean', fn: 'v7_dma_clean_range' },
      FROM_DEVICE: { op: 'invalidate', fn: 'v7_dma_inv_range' },
      BIDIRECTIONAL: { op: 'clean', fn: 'v7_dma_clean_range' },
    },
    // Invalidated again after the transfer, because of speculative prefetch.
    forCpu: {
      TO_DEVICE: null,
      FROM_DEVICE: { op: 'invalidate', fn: 'v7_dma_inv_range' },
      BIDIRECTIONAL: { op: 'invalidate', fn: 'v7_dma_inv_range' },
    },
  },
};

/** arm64, arm and x86_64 default to noncoherent, noncoherent and coherent DMA. */
export function defaultCoherent(arch: Arch): boolean {
  return arch === 'x86_64';
}

/** Whether a device's DMA snoops the cache: a coherent device, or any device on a coherent platform. */
export function snoops(s: MachineState, dev: DeviceConfig): boolean {
  return s.platform.coherent || dev.coherent;
}

function column(s: MachineState): (typeof MAINTENANCE_TABLE)['arm64'] {
  return MAINTENANCE_TABLE[s.platform.arch === 'arm' ? 'arm' : 'arm64'];
}

function run(s: MachineState, fn: string, step: Step | null, phys: number, len: number): void {
  traced(s, fn, undefined, () => {
    if (step) traced(s, step.fn, undefined, () => maintain(s, phys, len, step.op));
  });
}

/** CPU -> device hand-over of physical bytes [phys, +len) (map, sync_for_device). */
export function archSyncForDevice(s: MachineState, phys: number, len: number, dir: Direction): void {
  run(s, 'arch_sync_dma_for_device', column(s).forDevice[dir], phys, len);
}

/** Device -> CPU hand-over (unmap, sync_for_cpu). */
export function archSyncForCpu(s: MachineState, phys: number, len: number, dir: Direction): void {
  run(s, 'arch_sync_dma_for_cpu', column(s).forCpu[dir], phys, len);
}
