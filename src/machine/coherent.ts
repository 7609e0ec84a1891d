// Coherent allocations (spec §4 dma_alloc_coherent): contiguous memory under the device's mask, cleaned and
// zeroed; for a noncoherent device the CPU side is uncached, so CPU accesses bypass the cache. The CPU and the
// device may both touch it at any time: it counts as owned by the CPU and by the device (BIDIRECTIONAL) at once.

import { bufferName, createBuffer, newHandle, releaseBuffer, resolveBuffer } from './buffers';
import { cpuAccess, maintain } from './cache';
import { DeviceConfig, maskLimit } from './device';
import { writeRuns } from './memory';
import { newWrite, recordNewest } from './newest';
import { allocContiguous, pageAlign } from './pageAllocator';
import { snoops } from './platform';
import { fail, raise, traced } from './report';
import type { Handle, MachineState } from './state';

export function allocCoherent(s: MachineState, dev: DeviceConfig, size: number): Handle {
  return traced(s, 'dma_alloc_coherent', `${dev.name}, ${size} bytes`, () => {
    const uncached = !snoops(s, dev);
    const phys = traced(s, 'dma_direct_alloc', undefined, () => allocContiguous(s.alloc, size, { below: maskLimit(dev) }));
    const b = createBuffer(s, 'coherent', size, phys === undefined ? undefined : [{ phys, len: pageAlign(size) }], !uncached, dev.name);
    const h = newHandle(s, b.id, 'coherent', { type: 'coherent', buffer: b.id });
    if (phys === undefined) {
      fail(s, 'api-misuse', `dma_alloc_coherent(${dev.name}, ${size}) failed: no contiguous memory under its ${dev.dmaMask}-bit mask`, [], 'out-of-memory');
      return h;
    }
    // The kernel cleans and invalidates the range before remapping it uncached, then zeroes it.
    if (uncached) traced(s, 'arch_dma_prep_coherent', undefined, () => maintain(s, phys, pageAlign(size), 'clean+invalidate'));
    const seq = newWrite(s, 'dma_alloc_coherent');
    recordNewest(s, phys, size, 0, seq);
    const zero = [{ len: size, value: 0, seq }];
    if (uncached) writeRuns(s.mem, phys, zero);
    else cpuAccess(s, phys, size, { kind: 'write', runs: zero, copy: false });
    return h;
  });
}

export function freeCoherent(s: MachineState, dev: DeviceConfig, h: Handle): void {
  traced(s, 'dma_free_coherent', dev.name, () => {
    const r = resolveBuffer(s, h, 'dma_free_coherent', ['coherent']);
    if (!r) return;
    if (r.b.device !== dev.name && r.b.live)
      raise(s, 'api-misuse', `DMA-API: ${dev.name}: dma_free_coherent of ${bufferName(r.b)}, which was allocated for ${r.b.device}`, [{ loc: r.b.createdAt, message: 'allocated here' }], { detail: 'wrong-device' });
    releaseBuffer(s, r.b, 'dma_free_coherent');
  });
}
