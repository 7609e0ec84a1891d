// The facade the runtime calls: one method per operation of signatures.ts, a begin/end bracket per statement
// that collects events and hazards, snapshots for the debugger, and read-only inspection. The work is done by
// the modules named for each concept (streaming, swiotlb, iommu, cache, ...).

import type { Direction } from '../language/ast';
import { cut } from '../text/shorten';
import { cacheEvict, cachePrefetch, cpuRead, cpuWrite, deviceRead, deviceWrite } from './accesses';
import { bufferName, bufferPieces, clip, createBuffer, mappingName, newHandle, notLiveText, releaseBuffer, resolveBuffer, usedWhenNotLive } from './buffers';
import { CacheState, cacheView, createCache, evictAll, findLine, flushLineSummary, lineCount } from './cache';
import { restoreCache, snapshotCache, type CacheSnapshot } from './cacheSnapshot';
import { allocCoherent, freeCoherent } from './coherent';
import type { DeviceConfig } from './device';
import { copyState, type StateWithoutCache } from './copy';
import { checkSync, checkUnmap, mappingFor } from './dmaDebug';
import { createDmaBufState } from './dmabufState';
import { dmaBufAttach, dmaBufDetach, dmaBufExport, dmaBufGet, dmaBufLeaks, dmaBufPut, dmaHeapAlloc } from './dmabuf';
import { checkDmaBufCpuAccess, dmaBufBeginCpuAccess, dmaBufEndCpuAccess, dmaBufMmap, dmaBufSync, dmaBufVmap, dmaBufVunmap } from './dmabufCpuAccess';
import { dmaBufAdvice, dmaBufViews, withDmaBufs, type BufferWithDmaBuf, type DmaBufAdvice, type DmaBufView } from './dmabufInspect';
import { defaultBackingName } from './dmabufBridge';
import { dmaBufMapAttachment, dmaBufUnmapAttachment } from './dmabufMapping';
import type { MachineEvent } from './events';
import { hex } from './events';
import { failedBufferNote, failedCallNote, failedHandleText } from './failedCalls';
import type { Hazard, Loc } from './hazards';
import { DEFAULT_RAM, computeLayout } from './layout';
import { ADDRESS_END, createRunStore, readRuns } from './memory';
import { ownerLabel, ownersIn } from './ownership';
import { allocContiguous, allocScattered, createPageAllocator, reservePages } from './pageAllocator';
import { initialPruneAt, pruneIfDue } from './prune';
import { Arch, defaultCoherent } from './platform';
import { fail, raise, traced } from './report';
import { ByteRun, DataRun, appendRuns, cached, overlay, toByteRuns } from './runs';
import { LINE_EVENT_BUDGET, type Buffer, type Handle, type MachineState } from './state';
import { mapSg, mapSingle, newMapping, syncForCpu, syncForDevice, unmap } from './streaming';
import { createSwiotlb } from './swiotlb';
import { DeviceView, LineView, MappingView, bufferViews, deviceViews, lineView, lineViews, mappingViews } from './views';

export type { DeviceConfig } from './device';
export type { Handle } from './state';
export type { ByteRun } from './runs';
export type { MachineEvent } from './events';
export type { BufferView, DeviceView, LineView, MappingView } from './views';
export type { BufferWithDmaBuf, DmaBufAdvice, DmaBufView } from './dmabufInspect';

export interface MachineConfig {
  platform: { arch: Arch; coherent: boolean; swiotlbForce: boolean };
  cache: { size: number; ways: number; line: number; prefetch: 'none' | 'next-line' | 'speculative' };
  memory: { size: number; seed: number };
  devices: DeviceConfig[];
  /** Build the events of each statement (default); false for a run nobody watches, which is then cheaper. */
  events?: boolean;
}

export type OwnerSpec = 'cpu' | 'none' | { device: string; dir: Direction };

function createState(config: MachineConfig): MachineState {
  const layout = computeLayout(config.memory.size > 0 ? config.memory.size : DEFAULT_RAM);
  const platform = { arch: config.platform.arch, coherent: config.platform.coherent ?? defaultCoherent(config.platform.arch), swiotlbForce: config.platform.swiotlbForce };
  return {
    platform, layout,
    devices: new Map(config.devices.map((d) => [d.name, { ...d }])),
    mem: createRunStore(), newest: createRunStore(), cache: createCache(config.cache),
    alloc: createPageAllocator(layout, config.memory.seed), swiotlb: createSwiotlb(layout), iommu: new Map(),
    buffers: new Map(), mappings: new Map(), handles: new Map(), names: new Map(), dmabuf: createDmaBufState(),
    nextId: 1, seq: 0, writes: new Map([[0, { who: 'zero fill' }]]),
    loc: { line: 0, column: 0 }, events: [], hazards: [], lostWrites: new Map(), failed: false, lineEventBudget: LINE_EVENT_BUDGET,
    recording: config.events ?? true,
    pruneAt: initialPruneAt(),
  };
}

/**
 * A machine's state frozen for the debugger, never changed once made: restoring it twice gives the same run.
 * The cache keeps its valid lines only (most of its arrays are empty lines).
 */
export interface MachineSnapshot {
  readonly state: Readonly<StateWithoutCache>;
  readonly cache: CacheSnapshot;
}

function snapshotState(s: MachineState, transient: boolean): MachineSnapshot {
  return { state: copyState(s), cache: snapshotCache(s.cache, transient) };
}

function restoreState(snap: MachineSnapshot, adopt: boolean): MachineState {
  const s: Omit<MachineState, 'cache'> & { cache: CacheState | null } = adopt ? (snap.state as StateWithoutCache) : copyState(snap.state);
  s.cache = restoreCache(snap.cache, adopt);
  return s as MachineState;
}

/** Forgets what a statement has produced: its events, hazards, lost writes so far and failure. */
function clearStatement(s: MachineState): void {
  s.events = [];
  s.hazards = [];
  s.lostWrites = new Map();
  s.failed = false;
}

export class Machine {
  private s: MachineState;
  /** The handle ids the program's bindings hold now; set by the runner, so that released objects can be pruned. */
  private boundHandles?: () => Iterable<number>;

  constructor(config: MachineConfig) {
    this.s = createState(config);
  }

  /** The state, for the machine's own modules (dma-buf) and tests; never for the runtime to change. */
  get state(): MachineState {
    return this.s;
  }

  /** Lets the machine drop released objects no handle in `bound()` (nor anything live) can reach any more. */
  trackBindings(bound: () => Iterable<number>): void {
    this.boundHandles = bound;
  }

  /**
   * The objects (buffers, mappings, handles, dma-buf objects) the last prune found something could still name: what
   * the run holds, released ones aside, as of that prune (prunes come as the tables double, so this lags by at most that).
   */
  get objectsKept(): number {
    return this.s.pruneAt.kept;
  }

  /** The id the next object made will get: ids count up, so the ids a statement's run made lie between two of these. */
  get nextObjectId(): number {
    return this.s.nextId;
  }

  begin(loc: Loc): void {
    const s = this.s;
    pruneIfDue(s, this.boundHandles);
    s.loc = loc;
    clearStatement(s);
    s.lineEventBudget = LINE_EVENT_BUDGET;
  }

  end(): { events: MachineEvent[]; hazards: Hazard[]; failed: boolean } {
    flushLineSummary(this.s);
    const out = { events: this.s.events, hazards: this.s.hazards, failed: this.s.failed };
    clearStatement(this.s);
    return out;
  }

  /** An independent copy: the copy and the original evolve separately. */
  clone(): Machine {
    return Machine.restore(this.snapshot(true), true); // the snapshot is made for this copy alone
  }

  /** `transient`: a snapshot kept briefly, made for speed rather than size (the cache's arrays whole). */
  snapshot(transient = false): MachineSnapshot {
    return snapshotState(this.s, transient);
  }

  /** A machine in the snapshot's state; the snapshot stays as it was, unless `adopt` (it is given up, not copied). */
  static restore(snap: MachineSnapshot, adopt = false): Machine {
    const m = Object.create(Machine.prototype) as Machine;
    m.s = restoreState(snap, adopt);
    return m;
  }

  /** Names a handle as the scenario binds it, for messages ("buf" rather than "kmalloc #3"). */
  nameHandle(h: Handle, fullName: string): void {
    // Messages repeat it at every hazard: a 100 KB name in a loop made gigabytes of them.
    const name = cut(fullName);
    const t = this.s.handles.get(h.id);
    // What a failed call returned is named too, for messages about its uses.
    this.s.names.set(h.id, name);
    if (!t) return;
    if ('buffer' in t) {
      const b = this.s.buffers.get(t.buffer);
      if (b && b.name === undefined) b.name = name;
    } else if ('mapping' in t) {
      const m = this.s.mappings.get(t.mapping);
      if (m) m.name = name;
    } else if (t.type === 'dmabuf') {
      // Its pages' buffer too, which advice names ("dma_buf_begin_cpu_access(buf, ...)"), the first binding as for any buffer.
      const d = this.s.dmabuf.bufs.get(t.other);
      const backing = d?.buffer === undefined ? undefined : this.s.buffers.get(d.buffer);
      if (d && backing && backing.name === defaultBackingName(d)) backing.name = name;
    }
  }

  /** End of run: every mapping and buffer still live is a leak, reported at the statement that created it. */
  finish(): void {
    const s = this.s;
    dmaBufLeaks(s);
    for (const m of s.mappings.values()) {
      if (!m.live || s.buffers.get(m.buffer)?.kind === 'dmabuf') continue;
      raise(s, 'leak', `${mappingName(m)} (${m.kind === 'single' ? 'dma_map_single' : 'dma_map_sg'} for ${m.device} ${m.dir}) is never unmapped: call ${m.kind === 'single' ? 'dma_unmap_single' : 'dma_unmap_sg'}`, [{ loc: m.createdAt, message: 'mapped here' }], { object: m.id, at: m.createdAt });
    }
    for (const b of s.buffers.values()) {
      if (!b.live || b.kind === 'phys' || b.kind === 'dmabuf') continue;
      const fn = b.kind === 'vmalloc' ? 'vfree' : b.kind === 'coherent' ? 'dma_free_coherent' : 'kfree';
      raise(s, 'leak', `${bufferName(b)} (${b.kind}, ${b.size} bytes) is never freed: call ${fn}`, [{ loc: b.createdAt, message: 'allocated here' }], { object: b.id, at: b.createdAt });
    }
  }

  private device(name: string, fn: string): DeviceConfig | undefined {
    const d = this.s.devices.get(name);
    if (!d) raise(this.s, 'api-misuse', `${fn}: unknown device ${name}`, [], { detail: 'unknown-device' });
    return d;
  }

  // ---- memory and buffers

  private cpuBuffer(kind: 'kmalloc' | 'vmalloc', size: number): Handle {
    const s = this.s;
    return traced(s, kind, () => `${size} bytes`, () => {
      const segs = kind === 'kmalloc'
        ? ((p) => (p === undefined ? undefined : [{ phys: p, len: size }]))(allocContiguous(s.alloc, size))
        : allocScattered(s.alloc, size)?.map((g, i, all) => (i === all.length - 1 ? { phys: g.phys, len: size - all.slice(0, i).reduce((n, x) => n + x.len, 0) } : g));
      const b = createBuffer(s, kind, size, segs, true);
      if (!segs) fail(s, 'api-misuse', `${kind}(${size}) failed: out of memory`, [], 'out-of-memory');
      return newHandle(s, b.id, 'cpu_ptr', { type: 'cpu_ptr', buffer: b.id, vmalloc: kind === 'vmalloc' });
    });
  }

  kmalloc(size: number): Handle {
    return this.cpuBuffer('kmalloc', size);
  }

  vmalloc(size: number): Handle {
    return this.cpuBuffer('vmalloc', size);
  }

  private free(p: Handle, fn: 'kfree' | 'vfree'): void {
    const s = this.s;
    traced(s, fn, undefined, () => {
      const r = resolveBuffer(s, p, fn, ['cpu_ptr']);
      if (!r) return;
      const want = fn === 'kfree' ? 'kmalloc' : 'vmalloc';
      // What a failed call returned is releaseBuffer's to tell (NULL, or a failed phys()), whatever its kind.
      if (!r.b.failed && r.b.kind !== want) {
        raise(s, 'api-misuse', `${fn}(${bufferName(r.b)}): it is ${r.b.kind === 'phys' ? 'a fixed phys() range, never freed' : `${r.b.kind} memory, not ${want}`}`, [{ loc: r.b.createdAt, message: 'created here' }], { detail: 'wrong-free' });
        if (r.b.kind !== 'kmalloc' && r.b.kind !== 'vmalloc') return;
      }
      releaseBuffer(s, r.b, fn);
    });
  }

  kfree(p: Handle): void {
    this.free(p, 'kfree');
  }

  vfree(p: Handle): void {
    this.free(p, 'vfree');
  }

  phys(addr: number, size: number): Handle {
    const s = this.s;
    const fits = addr + size <= ADDRESS_END;
    if (fits) reservePages(s.alloc, addr, size);
    const b = createBuffer(s, 'phys', size, fits ? [{ phys: addr, len: size }] : undefined, true);
    if (!fits) {
      fail(s, 'api-misuse', `phys(${hex(addr)}, ${size}): beyond the physical address space the machine models (${hex(ADDRESS_END)})`, [], 'out-of-range');
    }
    return newHandle(s, b.id, 'cpu_ptr', { type: 'cpu_ptr', buffer: b.id, vmalloc: false });
  }

  dmaAllocCoherent(dev: string, size: number): Handle {
    const d = this.device(dev, 'dma_alloc_coherent');
    if (d) return allocCoherent(this.s, d, size);
    const b = createBuffer(this.s, 'coherent', size, undefined, false, dev);
    this.s.failed = true;
    return newHandle(this.s, b.id, 'coherent', { type: 'coherent', buffer: b.id });
  }

  dmaFreeCoherent(dev: string, c: Handle): void {
    const d = this.device(dev, 'dma_free_coherent');
    if (d) freeCoherent(this.s, d, c);
  }

  // ---- streaming DMA API

  dmaMapSingle(dev: string, p: Handle, size: number, dir: Direction, offset: number, skipCpuSync: boolean): Handle {
    const s = this.s;
    return traced(s, 'dma_map_single', () => `${dev}, ${size} bytes, ${dir}`, () => this.mapChecked('dma_map_single', dev, p, dir, (d, b, m) => {
      if (b.kind === 'vmalloc' || this.isVmallocPointer(p)) {
        fail(s, 'api-misuse', `DMA-API: ${dev}: dma_map_single of ${bufferName(b)}, which is vmalloc memory: the kernel rejects it (not physically contiguous); use dma_map_sg`, [{ loc: b.createdAt, message: 'allocated here' }], 'map-vmalloc');
        return;
      }
      // From past the end nothing of the buffer is left to map: the map fails, and the out-of-bounds misuse is its
      // failure (the range is not also "not physically contiguous"). A zero-size map in bounds fails saying nothing.
      const len = clip(s, b, offset, size, 'dma_map_single', true);
      if (len === 0) s.failed = true;
      else mapSingle(s, d, m, b, offset, len, skipCpuSync);
    }, 'single', offset, size));
  }

  dmaMapSg(dev: string, p: Handle, dir: Direction, skipCpuSync: boolean): Handle {
    const s = this.s;
    return traced(s, 'dma_map_sg', `${dev}, ${dir}`, () => this.mapChecked('dma_map_sg', dev, p, dir, (d, b, m) => mapSg(s, d, m, b, skipCpuSync), 'sg'));
  }

  private isVmallocPointer(p: Handle): boolean {
    const t = this.s.handles.get(p.id);
    return t?.type === 'cpu_ptr' && t.vmalloc;
  }

  /** Common checks of a map; always returns a handle (a failed one when the map fails). */
  private mapChecked(fn: string, dev: string, p: Handle, dir: Direction, body: (d: DeviceConfig, b: Buffer, m: ReturnType<typeof newMapping>['m']) => void, kind: 'single' | 'sg', offset = 0, size?: number): Handle {
    const s = this.s;
    const d = this.device(dev, fn);
    // A handle that names nothing fails the map (`!r` below; what a failed call returned, in namesNothing too).
    const r = resolveBuffer(s, p, fn, ['cpu_ptr']);
    const placeholder: Buffer = r?.b ?? { id: -1, kind: 'kmalloc', size: 0, segs: [], cacheable: true, owners: [], mapped: [], createdAt: s.loc, live: false };
    const { m, h } = newMapping(s, d ?? { name: dev, coherent: false, iommu: false, contiguous: false, dmaMask: 64 }, placeholder, kind, offset, size ?? placeholder.size, dir);
    if (!d || !r) {
      s.failed = true;
      return h;
    }
    if (usedWhenNotLive(s, r.b, `DMA-API: ${dev}: ${fn} of ${bufferName(r.b)}`, 'fails')) return h;
    body(d, r.b, m);
    return h;
  }

  dmaUnmapSingle(dev: string, h: Handle, size: number, dir: Direction, skipCpuSync: boolean): void {
    this.unmapChecked('dma_unmap_single', dev, h, 'single', size, dir, skipCpuSync);
  }

  dmaUnmapSg(dev: string, sgt: Handle, dir: Direction, skipCpuSync: boolean): void {
    this.unmapChecked('dma_unmap_sg', dev, sgt, 'sg', undefined, dir, skipCpuSync);
  }

  private unmapChecked(fn: string, dev: string, h: Handle, kind: 'single' | 'sg', size: number | undefined, dir: Direction, skip: boolean): void {
    const s = this.s;
    traced(s, fn, () => `${dev}, ${dir}${skip ? ', SKIP_CPU_SYNC' : ''}`, () => {
      const d = this.device(dev, fn);
      const m = d && mappingFor(s, dev, h, fn, kind);
      if (!d || !m) return;
      checkUnmap(s, m, dev, fn, size, dir);
      unmap(s, d, m, size ?? m.size, dir, skip);
    });
  }

  private sync(fn: string, dev: string, h: Handle, kind: 'single' | 'sg', toDevice: boolean, dir: Direction, offset = 0, size?: number): void {
    const s = this.s;
    const d = this.device(dev, fn);
    const m = d && mappingFor(s, dev, h, fn, kind);
    if (!d || !m) return;
    const len = checkSync(s, m, dev, fn, offset, size ?? m.size, dir);
    (toDevice ? syncForDevice : syncForCpu)(s, d, m, offset, len, dir);
  }

  dmaSyncSingleForCpu(dev: string, h: Handle, size: number, dir: Direction, offset: number): void {
    this.sync('dma_sync_single_for_cpu', dev, h, 'single', false, dir, offset, size);
  }

  dmaSyncSingleForDevice(dev: string, h: Handle, size: number, dir: Direction, offset: number): void {
    this.sync('dma_sync_single_for_device', dev, h, 'single', true, dir, offset, size);
  }

  dmaSyncSgForCpu(dev: string, sgt: Handle, dir: Direction): void {
    this.sync('dma_sync_sg_for_cpu', dev, sgt, 'sg', false, dir);
  }

  dmaSyncSgForDevice(dev: string, sgt: Handle, dir: Direction): void {
    this.sync('dma_sync_sg_for_device', dev, sgt, 'sg', true, dir);
  }

  // ---- accesses and hardware events

  cpuRead(p: Handle, off: number, len: number, expect?: number): ByteRun[] {
    if (!checkDmaBufCpuAccess(this.s, p, 'read', off, len)) return [];
    return cpuRead(this.s, p, off, len, expect);
  }

  cpuWrite(p: Handle, off: number, len: number, value: number): void {
    if (checkDmaBufCpuAccess(this.s, p, 'write', off, len)) cpuWrite(this.s, p, off, len, value);
  }

  deviceRead(dev: string, m: Handle, off: number, len: number, expect?: number): ByteRun[] {
    const d = this.device(dev, `${dev}.read`);
    return d ? deviceRead(this.s, d, m, off, len, expect) : [];
  }

  deviceWrite(dev: string, m: Handle, off: number, len: number, value: number): void {
    const d = this.device(dev, `${dev}.write`);
    if (d) deviceWrite(this.s, d, m, off, len, value);
  }

  cachePrefetch(p: Handle, off: number, len: number): void {
    if (checkDmaBufCpuAccess(this.s, p, undefined, off, len)) cachePrefetch(this.s, p, off, len);
  }

  cacheEvict(p: Handle, off: number, len: number): void {
    if (checkDmaBufCpuAccess(this.s, p, undefined, off, len)) cacheEvict(this.s, p, off, len);
  }

  cacheEvictAll(): void {
    evictAll(this.s);
  }

  // ---- dma-buf (dmabuf*.ts)

  dmaHeapAlloc(heap: 'system' | 'cma', size: number): Handle {
    return dmaHeapAlloc(this.s, heap, size);
  }

  dmaBufExport(dev: string, size: number, contiguous: boolean, deferred: boolean): Handle {
    return dmaBufExport(this.s, dev, size, contiguous, deferred);
  }

  dmaBufGet(buf: Handle): void {
    dmaBufGet(this.s, buf);
  }

  dmaBufPut(buf: Handle): void {
    dmaBufPut(this.s, buf);
  }

  dmaBufAttach(buf: Handle, dev: string): Handle {
    return dmaBufAttach(this.s, buf, dev);
  }

  dmaBufDetach(buf: Handle, a: Handle): void {
    dmaBufDetach(this.s, buf, a);
  }

  dmaBufMapAttachment(a: Handle, dir: Direction): Handle {
    return dmaBufMapAttachment(this.s, a, dir);
  }

  dmaBufUnmapAttachment(a: Handle, sgt: Handle, dir: Direction): void {
    dmaBufUnmapAttachment(this.s, a, sgt, dir);
  }

  dmaBufBeginCpuAccess(buf: Handle, dir: Direction): void {
    dmaBufBeginCpuAccess(this.s, buf, dir);
  }

  dmaBufEndCpuAccess(buf: Handle, dir: Direction): void {
    dmaBufEndCpuAccess(this.s, buf, dir);
  }

  dmaBufVmap(buf: Handle): Handle {
    return dmaBufVmap(this.s, buf);
  }

  dmaBufVunmap(buf: Handle, v: Handle): void {
    dmaBufVunmap(this.s, buf, v);
  }

  dmaBufMmap(buf: Handle): Handle {
    return dmaBufMmap(this.s, buf);
  }

  dmaBufSync(buf: Handle, phase: 'START' | 'END', access: 'READ' | 'WRITE' | 'RW'): void {
    dmaBufSync(this.s, buf, phase, access);
  }

  // ---- checks

  expectOwner(h: Handle, owner: OwnerSpec, off?: number, len?: number): void {
    const s = this.s;
    const t = s.handles.get(h.id);
    const bufId = !t ? undefined : 'buffer' in t ? t.buffer : t.type === 'dmabuf' ? s.dmabuf.bufs.get(t.other)?.buffer : undefined;
    const b = bufId === undefined ? undefined : s.buffers.get(bufId);
    const want = typeof owner === 'string' ? owner : `${owner.device}:${owner.dir}`;
    const related = b ? [b.failed ? failedBufferNote(b) : { loc: b.createdAt, message: 'created here' }] : h.failedAt ? [failedCallNote(h.failedAt)] : [];
    const failWith = (actual: string): void => raise(s, 'expect-failed', `expect_owner(${b ? bufferName(b) : s.names.get(h.id) ?? `#${h.id}`}, ${want}): ${actual}`, related);
    if (!t && h.failedAt) {
      // What a failed call returned names nothing: no owner.
      if (owner !== 'none') failWith(failedHandleText(h.failedAt));
      return;
    }
    if (!t || (t.type !== 'dmabuf' && !('buffer' in t))) {
      raise(s, 'api-misuse', `expect_owner: handle #${h.id} names no buffer`, [], { detail: 'wrong-handle' });
      return;
    }
    if (!b || !b.live) {
      if (owner !== 'none') failWith(!b ? 'its pages are not allocated yet' : notLiveText(b));
      return;
    }
    if (owner === 'none') return failWith('it is allocated and live');
    const o = off ?? 0;
    const n = len === undefined ? Math.max(0, b.size - o) : clip(s, b, o, len, 'expect_owner');
    if (b.kind === 'coherent') {
      if (owner !== 'cpu' && !(owner.device === b.device && owner.dir === 'BIDIRECTIONAL')) failWith(`a coherent buffer is shared by the CPU and ${b.device}:BIDIRECTIONAL`);
      return;
    }
    const bad = ownersIn(b, o, n).find((r) => owner === 'cpu'
      ? r.pairs.length > 0
      : !r.pairs.includes(`${owner.device}:${owner.dir}`));
    if (bad) failWith(`bytes [${hex(bad.off)}, +${hex(bad.len)}) are owned by ${ownerLabel(bad.pairs)}`);
  }

  // ---- read-only inspection

  /** Buffers; the one holding a dma-buf's pages carries the dma-buf (exporter, refcount, attachments, mappings, vmaps). */
  buffers(): BufferWithDmaBuf[] {
    return withDmaBufs(this.s, bufferViews(this.s));
  }

  /** The dma-bufs: exporter, reference count, pages, attachments with their mappings, vmaps and mmaps. */
  dmaBufs(): DmaBufView[] {
    return dmaBufViews(this.s);
  }

  /** For each dma-buf, whether its pages serve every device that attached, and who should export (`advise`). */
  dmaBufAdvice(): DmaBufAdvice[] {
    return dmaBufAdvice(this.s);
  }

  mappings(): MappingView[] {
    return mappingViews(this.s);
  }

  cacheLineCount(): number {
    return lineCount(this.s.cache);
  }

  cacheLines(start: number, count: number): LineView[] {
    return lineViews(this.s, start, count);
  }

  cacheLineAt(phys: number): LineView | undefined {
    const idx = findLine(this.s.cache, Math.floor(phys / this.s.cache.line));
    return idx < 0 ? undefined : lineView(this.s, idx);
  }

  devices(): DeviceView[] {
    return deviceViews(this.s);
  }

  /** The bytes the CPU would read now (cached lines over memory when cacheable), without side effects. */
  peekCpu(h: Handle, off: number, len: number): ByteRun[] {
    const s = this.s;
    const t = s.handles.get(h.id);
    const b = t && 'buffer' in t ? s.buffers.get(t.buffer) : undefined;
    if (!b) return [];
    const out: DataRun[] = [];
    for (const p of bufferPieces(b, off, Math.max(0, Math.min(len, b.size - off)))) {
      const mem = readRuns(s.mem, p.phys, p.len);
      appendRuns(out, b.cacheable ? overlay(mem, cacheView(s, p.phys, p.len), cached) : mem);
    }
    return toByteRuns(out);
  }

  peekMemory(phys: number, len: number): ByteRun[] {
    return toByteRuns(readRuns(this.s.mem, phys, Math.max(0, len)));
  }
}

