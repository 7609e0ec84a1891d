// Where dma-bufs meet the rest of the machine: their handles, the Buffer that holds a dma-buf's pages (so CPU
// accesses, ownership and leaks work as for any buffer), and the streaming path that maps an attachment.
import type { Direction } from '../language/ast';
import { createBuffer, newHandle, newId, releaseBuffer } from './buffers';
import { attachmentTable } from './dmabufConstraints';
import type { DmaBuf } from './dmabufState';
import { checkSync, checkUnmap, mappingFor } from './dmaDebug';
import type { PhysRange } from './pageAllocator';
import { contiguousRuns } from './sgTable';
import type { Handle, MachineState } from './state';
import { mapSg, newMapping, syncForCpu, syncForDevice, unmap } from './streaming';

export function handleFor(s: MachineState, type: 'dmabuf' | 'attachment', id: number): Handle {
  return newHandle(s, id, type, { type, other: id });
}

/** The Buffer over a dma-buf's pages; the CPU owns it until an attachment is mapped. */
export function dmaBufBacking(s: MachineState, b: DmaBuf, pages: PhysRange[]): number {
  const buf = createBuffer(s, 'dmabuf', b.size, pages, true);
  // As the scenario bound the dma-buf, if it did already (a deferred export gets its pages at the first map).
  buf.name = s.names.get(b.id) ?? defaultBackingName(b);
  return buf.id;
}

/** The backing buffer's name until the scenario binds its dma-buf (`Machine.nameHandle`). */
export function defaultBackingName(b: DmaBuf): string {
  return `dma-buf #${b.id}`;
}

export function releaseDmaBufBacking(s: MachineState, buffer: number, fn: string): void {
  const buf = s.buffers.get(buffer);
  if (buf) releaseBuffer(s, buf, fn);
}

/** A vmap or mmap: a cacheable CPU pointer to the pages, in the vmalloc area (dma_map_single rejects it). */
export function viewHandle(s: MachineState, buffer: number): Handle {
  return newHandle(s, newId(s), 'cpu_ptr', { type: 'cpu_ptr', buffer, vmalloc: true });
}

/**
 * Maps the pages for an attachment's device through the streaming path as dma_map_sgtable does, with the
 * attachment's own table (bounced runs split at swiotlb's largest mapping). The handle is the sg mapping's,
 * failed when the map failed.
 */
export function mapForDevice(s: MachineState, dev: string, buffer: number, dir: Direction): Handle {
  const d = s.devices.get(dev)!;
  const b = s.buffers.get(buffer)!;
  const { m, h } = newMapping(s, d, b, 'sg', 0, b.size, dir);
  m.attachment = true;
  mapSg(s, d, m, b, false, attachmentTable(contiguousRuns(b.segs), d, s.platform.swiotlbForce));
  return h;
}

export function mappingFailed(s: MachineState, h: Handle): boolean {
  return s.mappings.get(h.id)?.failed ?? true;
}

export function unmapForDevice(s: MachineState, dev: string, sgt: Handle, dir: Direction): void {
  const fn = 'dma_unmap_sgtable';
  const m = mappingFor(s, dev, sgt, fn, 'sg');
  if (!m) return;
  checkUnmap(s, m, dev, fn, undefined, dir);
  unmap(s, s.devices.get(m.device)!, m, m.size, dir, false);
}

function sync(s: MachineState, dev: string, sgt: number, dir: Direction, forCpu: boolean): void {
  const fn = forCpu ? 'dma_sync_sgtable_for_cpu' : 'dma_sync_sgtable_for_device';
  const m = mappingFor(s, dev, { type: 'sg', id: sgt }, fn, 'sg');
  if (!m) return;
  const len = checkSync(s, m, dev, fn, 0, m.size, dir);
  (forCpu ? syncForCpu : syncForDevice)(s, s.devices.get(m.device)!, m, 0, len, dir);
}

export function syncAttachmentForCpu(s: MachineState, dev: string, sgt: number, dir: Direction): void {
  sync(s, dev, sgt, dir, true);
}

export function syncAttachmentForDevice(s: MachineState, dev: string, sgt: number, dir: Direction): void {
  sync(s, dev, sgt, dir, false);
}
