// CPU access to dma-bufs (spec §4, §8, kernel-dma-facts §5-§6): begin/end_cpu_access and DMA_BUF_IOCTL_SYNC sync
// every mapped attachment for the CPU or back for its device, as the heaps do; vmap, vunmap and mmap hand out CPU
// pointers; an access through them outside a bracket is an unbracketed-cpu-access.
import type { Direction } from '../language/ast';
import { failedHandle, namesNothing } from './buffers';
import { ensurePages, liveAttachments, liveBuf } from './dmabuf';
import { syncAttachmentForCpu, syncAttachmentForDevice, viewHandle } from './dmabufBridge';
import { bufName, exporterFn, type CpuView, type DmaBuf } from './dmabufState';
import { fail, raise, traced } from './report';
import type { Handle, MachineState } from './state';

/** DMA_BUF_IOCTL_SYNC's access flags as DMA directions (include/uapi/linux/dma-buf.h). */
export const SYNC_ACCESS_DIRECTION: Record<'READ' | 'WRITE' | 'RW', Direction> = { READ: 'FROM_DEVICE', WRITE: 'TO_DEVICE', RW: 'BIDIRECTIONAL' };

/** Syncs every mapped attachment, with the bracket's direction, as the system and CMA heaps do. */
function syncAttachments(s: MachineState, b: DmaBuf, dir: Direction, forCpu: boolean): void {
  for (const a of liveAttachments(s, b)) {
    for (const m of a.mappings) (forCpu ? syncAttachmentForCpu : syncAttachmentForDevice)(s, a.device, m.sgt, dir);
  }
}

export function dmaBufBeginCpuAccess(s: MachineState, h: Handle, dir: Direction, call = 'dma_buf_begin_cpu_access'): void {
  const b = liveBuf(s, h, call);
  if (!b) return;
  traced(s, call, `dma-buf #${b.id}, ${dir}`, () =>
    traced(s, exporterFn(b, 'begin_cpu_access'), dir, () => {
      syncAttachments(s, b, dir, true);
      if (b.bracketDepth++ === 0) b.bracketAt = s.loc;
    }),
  );
}

export function dmaBufEndCpuAccess(s: MachineState, h: Handle, dir: Direction, call = 'dma_buf_end_cpu_access'): void {
  const b = liveBuf(s, h, call);
  if (!b) return;
  traced(s, call, `dma-buf #${b.id}, ${dir}`, () => {
    if (b.bracketDepth === 0) {
      // The heaps still sync for the devices; udmabuf would return -EINVAL.
      raise(s, 'api-misuse', `${call}(${dir}) on ${bufName(s, b)} without a matching begin: end without begin (call dma_buf_begin_cpu_access or dma_buf_sync START first)`,
        [{ loc: b.createdAt, message: 'created here' }], { detail: 'end-without-begin' });
    } else if (--b.bracketDepth === 0) b.bracketAt = undefined;
    traced(s, exporterFn(b, 'end_cpu_access'), dir, () => syncAttachments(s, b, dir, false));
  });
}

/** DMA_BUF_IOCTL_SYNC: START opens a CPU access bracket, END closes it, with READ/WRITE/RW as the direction. */
export function dmaBufSync(s: MachineState, h: Handle, phase: 'START' | 'END', access: 'READ' | 'WRITE' | 'RW'): void {
  const call = `dma_buf_sync(${phase}, ${access})`;
  if (phase === 'START') dmaBufBeginCpuAccess(s, h, SYNC_ACCESS_DIRECTION[access], call);
  else dmaBufEndCpuAccess(s, h, SYNC_ACCESS_DIRECTION[access], call);
}

function newView(s: MachineState, h: Handle, kind: 'vmap' | 'mmap'): Handle {
  const call = `dma_buf_${kind}`;
  const b = liveBuf(s, h, call);
  if (!b) return failedHandle(s, 'cpu_ptr');
  return traced(s, call, `dma-buf #${b.id}`, () => {
    // A deferred export has no pages before its first map; the CPU needs them now and brings no constraints.
    if (!ensurePages(s, b) || b.buffer === undefined) return failedHandle(s, 'cpu_ptr');
    const ptr = viewHandle(s, b.buffer);
    s.dmabuf.views.set(ptr.id, { id: ptr.id, buf: b.id, kind, createdAt: s.loc });
    b.views.push(ptr.id);
    return ptr;
  });
}

export function dmaBufVmap(s: MachineState, h: Handle): Handle {
  return newView(s, h, 'vmap');
}

export function dmaBufMmap(s: MachineState, h: Handle): Handle {
  return newView(s, h, 'mmap');
}

export function dmaBufVunmap(s: MachineState, h: Handle, vh: Handle): void {
  const b = liveBuf(s, h, 'dma_buf_vunmap');
  if (!b) return;
  if (vh.failedAt) return namesNothing(s, vh, 'dma_buf_vunmap', true);
  const v = s.dmabuf.views.get(vh.id);
  if (!v || v.kind !== 'vmap' || v.buf !== b.id) {
    fail(s, 'api-misuse', `dma_buf_vunmap: the pointer is not a vmap of ${bufName(s, b)}${v ? ` (it is ${v.kind === 'mmap' ? 'an mmap' : 'a vmap'} of dma-buf #${v.buf})` : ''}`, [], 'unknown-handle');
    return;
  }
  if (v.unmappedAt) {
    fail(s, 'api-misuse', `dma_buf_vunmap: the vmap of ${bufName(s, b)} (line ${v.createdAt.line}) was already removed at line ${v.unmappedAt.line}: double vunmap`,
      [{ loc: v.unmappedAt, message: 'vunmapped here' }], 'double-vunmap');
    return;
  }
  traced(s, 'dma_buf_vunmap', `dma-buf #${b.id}`, () => {
    v.unmappedAt = s.loc;
  });
}

/**
 * Called before every CPU access through a pointer. Returns false when the access must not happen (the pointer
 * is dead: vunmapped, or its buffer released). An access outside every begin/end bracket still happens, with an
 * unbracketed-cpu-access hazard; cache prefetch and eviction are hardware, not accesses, and pass `what` undefined.
 */
export function checkDmaBufCpuAccess(s: MachineState, p: Handle, what: 'read' | 'write' | undefined, off: number, len: number): boolean {
  const v = s.dmabuf.views.get(p.id);
  if (!v) return true;
  const b = s.dmabuf.bufs.get(v.buf)!;
  if (v.unmappedAt) {
    const why = b.releasedAt ? `${bufName(s, b)} was released by its last dma_buf_put at line ${b.releasedAt.line}: use after the last put` : `the vmap was removed by dma_buf_vunmap at line ${v.unmappedAt.line}`;
    fail(s, 'api-misuse', `CPU access through the ${v.kind} of ${bufName(s, b)} (line ${v.createdAt.line}): ${why}`,
      [{ loc: v.unmappedAt, message: b.releasedAt ? 'released here' : 'vunmapped here' }], b.releasedAt ? 'use-after-put' : 'use-after-vunmap');
    return false;
  }
  if (what && b.bracketDepth === 0) unbracketed(s, b, v, what, off, len);
  return true;
}

function unbracketed(s: MachineState, b: DmaBuf, v: CpuView, what: 'read' | 'write', off: number, len: number): void {
  const fix = v.kind === 'mmap'
    ? 'bracket it with dma_buf_sync(buf, START, READ|WRITE|RW) and dma_buf_sync(buf, END, ...) (DMA_BUF_IOCTL_SYNC)'
    : 'bracket it with dma_buf_begin_cpu_access(buf, DIR) and dma_buf_end_cpu_access(buf, DIR)';
  const mapped = liveAttachments(s, b).filter((a) => a.mappings.length).map((a) => a.device);
  const why = mapped.length
    ? `the exporter cannot sync the attachments mapped for ${mapped.join(', ')} for the CPU`
    : 'the exporter gets no chance to make the CPU view coherent with the devices';
  raise(s, 'unbracketed-cpu-access',
    `CPU ${what} of ${len} bytes at offset ${off} through the ${v.kind} of ${bufName(s, b)} outside any CPU access bracket: ${why}; ${fix}`,
    [{ loc: v.createdAt, message: `${v.kind} made here` }]);
}
