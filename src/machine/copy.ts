// Copies of the machine's state (all but the cache, which cacheSnapshot.ts snapshots) for the debugger's snapshots: each
// type is copied by what it is, several times faster than a generic or structured clone. Values the machine only
// ever replaces, never changes in place, are shared: locations, write origins, handle targets, device configs,
// the platform and layout, physical ranges, map segments, sg tables, owner-run and owned-span objects, bounce slots,
// dma-buf importers and attachment mappings. The arrays of owner runs and owned spans, which the machine changes in
// place, are shared copy-on-write (copyOnWrite.ts): a mapping synced piece by piece makes them long. Everything else
// (the objects the machine updates, and every array or Map it grows) is copied. test/machine/snapshot.test.ts checks
// that a copy shares nothing else.

import type { Attachment, CpuView, DmaBuf, DmaBufState } from './dmabufState';
import type { IommuState } from './iommu';
import { share } from './copyOnWrite';
import { copyRunStore } from './memory';
import type { PageAllocator } from './pageAllocator';
import { copyRangeAllocator } from './rangeAllocator';
import type { Buffer, MachineState, Mapping } from './state';
import type { SwiotlbState } from './swiotlb';

/** The state without its cache: the cache's key stays (null), so that a restored state keeps its fields' order. */
export type StateWithoutCache = Omit<MachineState, 'cache'> & { cache: null };

/** A copy that shares nothing the machine changes in place with `s`. Every field is listed: a new one must be too. */
export function copyState(s: Readonly<Omit<MachineState, 'cache'>>): StateWithoutCache {
  return {
    platform: s.platform,
    layout: s.layout,
    devices: new Map(s.devices),
    mem: copyRunStore(s.mem),
    newest: copyRunStore(s.newest),
    cache: null,
    alloc: copyPages(s.alloc),
    swiotlb: copySwiotlb(s.swiotlb),
    iommu: copyEach(s.iommu, copyIommu),
    buffers: copyEach(s.buffers, copyBuffer),
    mappings: copyEach(s.mappings, copyMapping),
    handles: new Map(s.handles),
    names: new Map(s.names),
    dmabuf: copyDmaBufs(s.dmabuf),
    nextId: s.nextId,
    seq: s.seq,
    writes: new Map(s.writes),
    loc: s.loc,
    events: s.events.slice(),
    hazards: s.hazards.slice(),
    // Copies are made between statements, when no statement's lost writes are being counted.
    lostWrites: new Map(),
    failed: s.failed,
    lineEventBudget: s.lineEventBudget,
    recording: s.recording,
    pruneAt: { ...s.pruneAt },
  };
}

function copyEach<K, V>(m: ReadonlyMap<K, V>, copy: (v: V) => V): Map<K, V> {
  const out = new Map<K, V>();
  for (const [k, v] of m) out.set(k, copy(v));
  return out;
}

const copyPages = (a: PageAllocator): PageAllocator => ({ ...a, general: copyRangeAllocator(a.general), cma: copyRangeAllocator(a.cma) });

const copySwiotlb = (s: SwiotlbState): SwiotlbState => ({ ...s, pool: copyRangeAllocator(s.pool), active: s.active.slice() });

const copyIommu = (i: IommuState): IommuState => ({ ...i, iova: copyRangeAllocator(i.iova) });

// Buffers and mappings, the objects a long run has most of, are built field by field rather than spread: their
// optional fields make many shapes, on which a spread takes V8's slow generic path. The order is the one the
// machine gives them (created, then named, then mapped or synced, then released), so copies keep their shapes.

function copyBuffer(b: Buffer): Buffer {
  const c: Buffer = { id: b.id, kind: b.kind, size: b.size, segs: b.segs.slice(), cacheable: b.cacheable, owners: share(b.owners), mapped: b.mapped.slice(), createdAt: b.createdAt, live: b.live };
  if (b.failed) c.failed = true;
  if (b.device !== undefined) c.device = b.device;
  if (b.name !== undefined) c.name = b.name;
  if (b.lastMapping !== undefined) c.lastMapping = b.lastMapping;
  if (b.releasedAt !== undefined) c.releasedAt = b.releasedAt;
  return c;
}

function copyMapping(m: Mapping): Mapping {
  const c: Mapping = {
    id: m.id, device: m.device, kind: m.kind, buffer: m.buffer, off: m.off, size: m.size, dir: m.dir, segs: m.segs.slice(), dmaAddress: m.dmaAddress,
    iova: m.iova.slice(), slots: m.slots.slice(), owned: share(m.owned), failed: m.failed, live: m.live, createdAt: m.createdAt,
  };
  if (m.sg !== undefined) c.sg = m.sg;
  if (m.attachment) c.attachment = true;
  if (m.name !== undefined) c.name = m.name;
  if (m.releasedAt !== undefined) c.releasedAt = m.releasedAt;
  return c;
}

const copyDmaBuf = (b: DmaBuf): DmaBuf => ({
  ...b, fittedTo: b.fittedTo.slice(), attachments: b.attachments.slice(), views: b.views.slice(), importers: b.importers.slice(),
});

const copyAttachment = (a: Attachment): Attachment => ({ ...a, mappings: a.mappings.slice() });

const copyView = (v: CpuView): CpuView => ({ ...v });

const copyDmaBufs = (d: DmaBufState): DmaBufState => ({
  ...d, bufs: copyEach(d.bufs, copyDmaBuf), attachments: copyEach(d.attachments, copyAttachment), views: copyEach(d.views, copyView),
});
