// Mapping dma-buf attachments (spec §4, kernel-dma-facts §6): as the kernel's heaps do, every map builds the
// attachment's own sg table and maps it for that device through the streaming path (IOMMU merging, swiotlb,
// constraints, cache maintenance, ownership); unmap hands the pages back.
import type { Direction } from '../language/ast';
import { failedHandle, namesNothing } from './buffers';
import { liveAttachment, ensurePages } from './dmabuf';
import { mapForDevice, mappingFailed, unmapForDevice } from './dmabufBridge';
import { exporterFn } from './dmabufState';
import { fail, raise, traced } from './report';
import type { Handle, MachineState } from './state';

export function dmaBufMapAttachment(s: MachineState, ah: Handle, dir: Direction): Handle {
  const a = liveAttachment(s, ah, 'dma_buf_map_attachment');
  if (!a) return failedHandle(s, 'sg');
  const b = s.dmabuf.bufs.get(a.buf)!;
  return traced(s, 'dma_buf_map_attachment', `${a.device}, ${dir}`, () => {
    if (a.mappings.length) {
      raise(s, 'api-misuse', `dma_buf_map_attachment(${a.device}): the attachment is already mapped (line ${a.mappings[0].mappedAt.line}) and not unmapped: the exporter maps its one sg table again`,
        [{ loc: a.mappings[0].mappedAt, message: 'mapped here' }], { detail: 'double-map' });
    }
    if (!ensurePages(s, b) || b.buffer === undefined) return failedHandle(s, 'sg');
    const buffer = b.buffer;
    const sgt = traced(s, exporterFn(b, 'map_dma_buf'), `dma-buf #${b.id} for ${a.device}`, () => mapForDevice(s, a.device, buffer, dir));
    if (!mappingFailed(s, sgt)) a.mappings.push({ sgt: sgt.id, dir, mappedAt: s.loc });
    return sgt;
  });
}

export function dmaBufUnmapAttachment(s: MachineState, ah: Handle, sgt: Handle, dir: Direction): void {
  const a = liveAttachment(s, ah, 'dma_buf_unmap_attachment');
  if (!a) return;
  if (sgt.failedAt) return namesNothing(s, sgt, 'dma_buf_unmap_attachment', true);
  const i = a.mappings.findIndex((m) => m.sgt === sgt.id);
  if (i < 0) {
    const owner = [...s.dmabuf.attachments.values()].find((o) => o.mappings.some((m) => m.sgt === sgt.id));
    const why = owner ? `it was mapped for ${owner.device}'s attachment (line ${owner.createdAt.line})` : 'it is not a live mapping of this attachment (never mapped, failed, or already unmapped)';
    fail(s, 'api-misuse', `dma_buf_unmap_attachment(${a.device}): the sg table passed is not one of this attachment's mappings: ${why}`,
      owner ? [{ loc: owner.createdAt, message: `${owner.device} attached here` }] : [], owner ? 'wrong-device' : 'unknown-handle');
    return;
  }
  const b = s.dmabuf.bufs.get(a.buf)!;
  traced(s, 'dma_buf_unmap_attachment', `${a.device}, ${dir}`, () =>
    traced(s, exporterFn(b, 'unmap_dma_buf'), `dma-buf #${b.id} for ${a.device}`, () => unmapForDevice(s, a.device, sgt, dir)),
  );
  a.mappings.splice(i, 1);
}
