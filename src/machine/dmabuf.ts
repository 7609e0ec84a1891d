// dma-buf lifecycle (spec §4, §7, kernel-dma-facts §5-§6): heap allocation and driver exports (deferred ones
// allocate at the first map to fit every attached device), reference counts with release at zero, attach and
// detach with the constraint check, and the end-of-run leaks of buffers, attachments, mappings and vmaps.
import { failedHandle, namesNothing, newId } from './buffers';
import type { DeviceConfig } from './device';
import { dmaBufBacking, handleFor, releaseDmaBufBacking } from './dmabufBridge';
import { describePlan, fitPlan, formatSize, unmetConstraints } from './dmabufConstraints';
import { bufName, exporterCall, exporterFn, type Attachment, type CpuView, type DmaBuf, type Exporter } from './dmabufState';
import type { Loc, Related } from './hazards';
import { allocateCma, allocateSystemHeap, allocateToFit, whyNoPages } from './heaps';
import type { PhysRange } from './pageAllocator';
import { fail, raise, traced } from './report';
import type { Handle, MachineState } from './state';

const at = (loc: Loc, message: string): Related => ({ loc, message });

/**
 * The dma-buf a handle names, or undefined after raising api-misuse: an unknown handle, one from a failed call,
 * or a buffer whose last reference was put ("use after the last put").
 */
export function liveBuf(s: MachineState, h: Handle, call: string): DmaBuf | undefined {
  const b = s.dmabuf.bufs.get(h.id);
  if (!b) {
    namesNothing(s, h, call, true);
    return undefined;
  }
  if (b.releasedAt) {
    usedAfterPut(s, b, b.releasedAt, call);
    return undefined;
  }
  return b;
}

function usedAfterPut(s: MachineState, b: DmaBuf, releasedAt: Loc, call: string): void {
  fail(s, 'api-misuse', `${call}: ${bufName(s, b)} was released when its last reference was put at line ${releasedAt.line}: use after the last put`,
    [at(releasedAt, 'the last dma_buf_put'), at(b.createdAt, 'created here')], 'use-after-put');
}

function create(s: MachineState, size: number, exporter: Exporter, pages: PhysRange[] | undefined, fittedTo: string[]): Handle {
  const id = newId(s);
  const b: DmaBuf = { id, size, exporter, refs: 1, createdAt: s.loc, fittedTo, attachments: [], views: [], bracketDepth: 0, importers: [] };
  s.dmabuf.bufs.set(id, b);
  if (pages) placePages(s, b, pages);
  return handleFor(s, 'dmabuf', id);
}

function placePages(s: MachineState, b: DmaBuf, pages: PhysRange[]): void {
  b.buffer = dmaBufBacking(s, b, pages);
  b.allocatedAt = s.loc;
}

/** A failed allocation of `size`, and `why` (heaps.ts's whyNoPages). */
function outOfMemory(s: MachineState, what: string, size: number, why: string): Handle {
  fail(s, 'api-misuse', `${what}: cannot allocate ${formatSize(size)}: ${why} (-ENOMEM)`, [], 'out-of-memory');
  return failedHandle(s, 'dmabuf');
}

export function dmaHeapAlloc(s: MachineState, heap: 'system' | 'cma', size: number): Handle {
  return traced(s, 'dma_heap_alloc', `${heap}, ${formatSize(size)}`, () => {
    const pages = heap === 'cma' ? allocateCma(s.alloc, size) : allocateSystemHeap(s.alloc, size);
    return pages ? create(s, size, { kind: 'heap', heap }, pages, []) : outOfMemory(s, `dma_heap_alloc(${heap})`, size, whyNoPages(s.alloc, size, heap));
  });
}

/**
 * A driver's export: pages for the exporting device at once (below its mask, within its segment limits,
 * contiguous when asked or when it needs it), or none until the first map when deferred.
 */
export function dmaBufExport(s: MachineState, dev: string, size: number, contiguous: boolean, deferred: boolean): Handle {
  return traced(s, 'dma_buf_export', `${dev}, ${formatSize(size)}${contiguous ? ', contiguous' : ''}${deferred ? ', deferred' : ''}`, () => {
    const d = s.devices.get(dev);
    if (!d) {
      fail(s, 'api-misuse', `dma_buf_export: ${dev} is not a declared device`, [], 'unknown-device');
      return failedHandle(s, 'dmabuf');
    }
    const exporter: Exporter = { kind: 'driver', device: dev, contiguous, deferred };
    if (deferred) return create(s, size, exporter, undefined, []);
    const plan = fitPlan([d], contiguous);
    const pages = allocateToFit(s.alloc, size, plan);
    return pages ? create(s, size, exporter, pages, [dev]) : outOfMemory(s, `dma_buf_export(${dev})`, size, whyNoPages(s.alloc, size, plan));
  });
}

/**
 * A deferred export's first map: pages that fit every device attached by then (spec §7). Returns false when
 * no pages can be had.
 */
export function ensurePages(s: MachineState, b: DmaBuf): boolean {
  if (b.buffer !== undefined) return true;
  const devices = liveAttachments(s, b).map((a) => s.devices.get(a.device)).filter((d): d is DeviceConfig => d !== undefined);
  const plan = fitPlan(devices, b.exporter.kind === 'driver' && b.exporter.contiguous);
  return traced(s, exporterFn(b, 'allocate'), `to fit ${devices.map((d) => d.name).join(', ') || 'no device'}: ${describePlan(plan)}`, () => {
    const pages = allocateToFit(s.alloc, b.size, plan);
    if (!pages) {
      fail(s, 'constraint-violation', `${bufName(s, b)}: no ${describePlan(plan)} of ${formatSize(b.size)} are free${plan.reasons.length ? ` (${plan.reasons.join('; ')})` : ''}`,
        [at(b.createdAt, 'exported here')], 'allocation-failed');
      return false;
    }
    b.fittedTo = devices.map((d) => d.name);
    placePages(s, b, pages);
    return true;
  });
}

export function liveAttachments(s: MachineState, b: DmaBuf): Attachment[] {
  return b.attachments.map((id) => s.dmabuf.attachments.get(id)!).filter((a) => !a.detachedAt);
}

export function dmaBufGet(s: MachineState, h: Handle): void {
  const b = liveBuf(s, h, 'dma_buf_get');
  if (b) traced(s, 'dma_buf_get', `dma-buf #${b.id}: refcount ${b.refs} -> ${++b.refs}`, () => undefined);
}

export function dmaBufPut(s: MachineState, h: Handle): void {
  const b = liveBuf(s, h, 'dma_buf_put');
  if (!b) return;
  traced(s, 'dma_buf_put', `dma-buf #${b.id}: refcount ${b.refs} -> ${b.refs - 1}`, () => {
    if (--b.refs === 0) release(s, b);
  });
}

/** The last reference is gone: the exporter's release frees the pages (the kernel WARNs if still attached or vmapped). */
function release(s: MachineState, b: DmaBuf): void {
  traced(s, exporterFn(b, 'release'), `dma-buf #${b.id}`, () => {
    for (const a of liveAttachments(s, b)) {
      // A mapping still live is reported by the free of the pages below (free while mapped).
      raise(s, 'api-misuse', `dma_buf_put released ${bufName(s, b)} while ${a.device} is still attached (line ${a.createdAt.line}): dma_buf_detach before the last put`,
        [at(a.createdAt, `${a.device} attached here`)], { detail: 'release-while-attached' });
      a.detachedAt = s.loc;
    }
    for (const v of liveViews(s, b).filter((v) => v.kind === 'vmap')) {
      raise(s, 'api-misuse', `dma_buf_put released ${bufName(s, b)} while its vmap (line ${v.createdAt.line}) is still in use: dma_buf_vunmap before the last put`,
        [at(v.createdAt, 'vmapped here')], { detail: 'release-while-vmapped' });
    }
    for (const v of liveViews(s, b)) v.unmappedAt = s.loc;
    b.releasedAt = s.loc;
    if (b.buffer !== undefined) releaseDmaBufBacking(s, b.buffer, exporterFn(b, 'release'));
  });
}

export function liveViews(s: MachineState, b: DmaBuf): CpuView[] {
  return b.views.map((id) => s.dmabuf.views.get(id)!).filter((v) => !v.unmappedAt);
}

/** Advice naming who should have exported, or attached before the pages were chosen. */
function attachAdvice(b: DmaBuf, dev: string): string {
  if (b.exporter.kind === 'heap') {
    return `allocate it where ${dev} can use it (e.g. from the cma heap), or let ${dev}'s driver export it`;
  }
  if (!b.exporter.deferred) {
    return `${b.exporter.device} exported it to fit only itself: let ${dev} export it, or export it deferred and attach ${dev} before the first map`;
  }
  const fitted = b.fittedTo.length ? b.fittedTo.join(', ') : 'no device';
  return `the pages were allocated at the first map (line ${b.allocatedAt?.line}) to fit ${fitted}: attach ${dev} before that map, or let ${dev} export the buffer`;
}

export function dmaBufAttach(s: MachineState, h: Handle, dev: string): Handle {
  const b = liveBuf(s, h, 'dma_buf_attach');
  if (!b) return failedHandle(s, 'attachment');
  return traced(s, 'dma_buf_attach', `dma-buf #${b.id}, ${dev}`, () => {
    const d = s.devices.get(dev);
    if (!d) {
      fail(s, 'api-misuse', `dma_buf_attach: ${dev} is not a declared device`, [], 'unknown-device');
      return failedHandle(s, 'attachment');
    }
    const backing = b.buffer === undefined ? undefined : s.buffers.get(b.buffer);
    const unmet = backing ? unmetConstraints(backing.segs, d, s.platform.swiotlbForce) : [];
    b.importers.push({ device: dev, at: s.loc });
    if (unmet.length) {
      const related = [at(b.createdAt, 'created here'), ...(b.allocatedAt && b.allocatedAt !== b.createdAt ? [at(b.allocatedAt, 'pages allocated here')] : [])];
      fail(s, 'constraint-violation', `dma_buf_attach(${dev}): the pages of ${bufName(s, b)} cannot serve ${dev}: ${unmet.map((u) => u.reason).join('; ')}; ${attachAdvice(b, dev)}`, related, unmet[0].constraint);
      return failedHandle(s, 'attachment');
    }
    const id = newId(s);
    s.dmabuf.attachments.set(id, { id, buf: b.id, device: dev, createdAt: s.loc, mappings: [] });
    b.attachments.push(id);
    return handleFor(s, 'attachment', id);
  });
}

/** The live attachment a handle names, or undefined after raising api-misuse. */
export function liveAttachment(s: MachineState, h: Handle, call: string): Attachment | undefined {
  const a = s.dmabuf.attachments.get(h.id);
  if (!a) {
    namesNothing(s, h, call, true);
    return undefined;
  }
  const b = s.dmabuf.bufs.get(a.buf)!;
  if (b.releasedAt) {
    usedAfterPut(s, b, b.releasedAt, call);
    return undefined;
  }
  if (a.detachedAt) {
    fail(s, 'api-misuse', `${call}: ${a.device}'s attachment (line ${a.createdAt.line}) was already detached at line ${a.detachedAt.line}`,
      [at(a.detachedAt, 'detached here'), at(a.createdAt, 'attached here')], 'released-handle');
    return undefined;
  }
  return a;
}

export function dmaBufDetach(s: MachineState, bh: Handle, ah: Handle): void {
  const b = liveBuf(s, bh, 'dma_buf_detach');
  const a = b && liveAttachment(s, ah, 'dma_buf_detach');
  if (!b || !a) return;
  if (a.buf !== b.id) {
    fail(s, 'api-misuse', `dma_buf_detach: ${a.device}'s attachment (line ${a.createdAt.line}) belongs to dma-buf #${a.buf}, not to ${bufName(s, b)}`,
      [at(a.createdAt, 'attached here')], 'wrong-buffer');
    return;
  }
  traced(s, 'dma_buf_detach', `dma-buf #${b.id}, ${a.device}`, () => {
    if (a.mappings.length) {
      // The heaps' detach frees the attachment's table without unmapping it: the mapping stays live (a leak).
      raise(s, 'api-misuse', `dma_buf_detach(${a.device}) while its attachment is still mapped (line ${a.mappings[0].mappedAt.line}): call dma_buf_unmap_attachment first`,
        [at(a.mappings[0].mappedAt, 'mapped here'), at(a.createdAt, 'attached here')], { detail: 'detach-while-mapped' });
    }
    a.detachedAt = s.loc;
  });
}

/** End of run: every dma-buf, attachment, attachment mapping and vmap never released, at the statement that made it. */
export function dmaBufLeaks(s: MachineState): void {
  for (const b of s.dmabuf.bufs.values()) {
    for (const a of b.attachments.map((id) => s.dmabuf.attachments.get(id)!)) {
      // A mapping outlives a detach or the release that should have ended it.
      for (const m of a.mappings.filter((x) => s.mappings.get(x.sgt)?.live)) {
        leak(s, m.mappedAt, m.sgt, `the mapping of ${bufName(s, b)} for ${a.device} made here was never unmapped: call dma_buf_unmap_attachment`);
      }
      if (!a.detachedAt) leak(s, a.createdAt, a.id, `${a.device}'s attachment to ${bufName(s, b)} made here was never detached: call dma_buf_detach`);
    }
    if (b.releasedAt) continue;
    for (const v of liveViews(s, b).filter((v) => v.kind === 'vmap')) {
      leak(s, v.createdAt, v.id, `the vmap of ${bufName(s, b)} made here was never removed: call dma_buf_vunmap`);
    }
    leak(s, b.createdAt, b.id, `${bufName(s, b)} was never released: ${b.refs} reference${b.refs === 1 ? '' : 's'} left: call dma_buf_put (${exporterCall(b)} returns one reference, each dma_buf_get adds one)`);
  }
}

function leak(s: MachineState, loc: Loc, object: number, message: string): void {
  raise(s, 'leak', message, [], { at: loc, object });
}
