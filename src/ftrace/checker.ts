// The offline DMA-API checker: applies a capture's events one at a time to per-device state and runs the checks of
// the kernel's DMA-API debugging (kernel/dma/debug.c) that a trace can decide. Its state after any event can be
// queried and cloned, so a debugger can step through a trace and show it.
import { BoundedMap } from './boundedMap';
import { CacheLines } from './cacheLines';
import { DeviceState, MEMORY_PER_DEVICE } from './deviceState';
import { decodeEvent, type DmaEvent, type TraceDirection } from './events';
import { DMA_MAPPING_ERROR } from './recordLayout';
import type { FindingKind, TraceFinding } from './findings';
import { IommuState } from './iommuState';
import { hasAttr, hex, mappedBytes, type Allocation, type Origin, type Segment, type StreamingMapping } from './mappings';
import type { TraceRecord } from './record';
import { replayEvent, type HotEventSink } from './hotEvents';
import type { Release } from './releaseLog';

export interface CheckOptions {
  /** The trace starts at boot: nothing was mapped before it, so releases of unknown addresses are bugs. */
  fromBoot?: boolean;
  /** Cache line size for the overlap check (x86: 64). */
  cacheLine?: number;
  /** The release logs keep what each release released, for an import to name it again (`Release.what`). */
  keepReleased?: boolean;
}

export interface FenceState {
  driver: string;
  timeline: string;
  context: number;
  seqno: number;
  /** The last fence event seen for it: init, emit, signaled, ... */
  state: string;
  origin: Origin;
}

export type FindingSink = (f: TraceFinding) => void;

/**
 * What a release (unmap, sg unmap, free) or a sync comes to, as its handler decides it (`TraceChecker.outcomeOf`):
 * `live`, it releases (a sync: syncs) that live mapping or allocation, one of the wrong kind reported and released
 * all the same; `kept`, an sg unmap of that dma-direct single mapping, reported as the wrong kind and left mapped;
 * `again`, nothing live is there and the trace released the address already with no events lost since: a decided
 * second release (a sync: of unmapped memory) of `release.what`. None (undefined): nothing the trace decides about
 * an earlier release (mapped before the trace, events lost, nothing mapped since boot, DMA_MAPPING_ERROR).
 */
/**
 * Whether the check of sync_sg `e` reaches its entry `i`, given `head`, the live segment at its first address: not
 * one with no size or DMA_MAPPING_ERROR, nor one past the mapped list's entries (merged away, or beyond a truncated
 * map's arrays), which have nothing to check.
 */
export function syncReaches(e: Extract<DmaEvent, { op: 'sync_sg' }>, i: number, head: Segment | undefined): boolean {
  if (i >= e.dmas.length || e.sizes[i] === 0 || e.dmas[i] === DMA_MAPPING_ERROR) return false;
  return !(head && head.mapping.kind === 'sg' && i >= head.mapping.segments.length);
}

export type Outcome<T extends StreamingMapping | Allocation = StreamingMapping | Allocation> =
  /** For a sync, `segment` is the live segment it syncs (`DeviceState.entrySynced`). */
  | { kind: 'live'; what: T; segment?: Segment }
  | { kind: 'kept'; what: StreamingMapping }
  | { kind: 'again'; release: Release };

type Rel = { line: number; message: string };

// An event as a finding names it, spelled out only for a finding: a closure per event was garbage.
const unmapText = (dma: number, size: number): string => `dma_unmap of ${hex(dma)} (${size} bytes)`;
const unmapSgText = (e: Extract<DmaEvent, { op: 'unmap_sg' }>): string => `dma_unmap_sg of the list at phys ${hex(e.phys[0])} (${e.phys.length} entries)`;
const freeText = (e: Extract<DmaEvent, { op: 'free' }>): string => `dma_free (${e.api}) of ${hex(e.dma)} (${e.size} bytes)`;
const syncText = (inSg: boolean, forCpu: boolean, dma: number, size: number): string =>
  `dma_sync_${inSg ? 'sg' : 'single'}_for_${forCpu ? 'cpu' : 'device'} of ${hex(dma)} (${size} bytes)`;

const at = (o: { line: number }, message: string): Rel => ({ line: o.line, message });

/** A new mapping's segments until its own are made (frozen: a push to it would throw); an array per map was garbage. */
const NO_SEGMENTS = Object.freeze([]) as unknown as Segment[];

/** A copy of an origin, for what outlives the event. */
const keep = (o: Origin): Origin => ({ line: o.line, offset: o.offset, timestamp: o.timestamp, cpu: o.cpu, epoch: o.epoch });

export class TraceChecker implements HotEventSink {
  devices = new Map<string, DeviceState>();
  /** The devices by `DeviceState.index`: what a cache line's holder names. */
  private byIndex: DeviceState[] = [];
  iommu = new IommuState();
  fences = new BoundedMap<string, FenceState>(MEMORY_PER_DEVICE);
  /** Live non-TO_DEVICE segments by the cache line of their first byte, as dma-debug tracks them. */
  cachelines = new CacheLines();
  /** How many `[LOST N EVENTS]` markers have been read. */
  epoch = 0;
  lostEvents = 0;
  lastMark = '';
  /** The id of the next mapping made (ids count up: `mappings()` lists the oldest first). */
  nextId = 1;
  private lastDevice: DeviceState | undefined;
  /** Where the current event happened: one object rewritten per event, copied (`keep`) by whatever outlives it. */
  private readonly now: Origin = { line: 0, offset: 0, timestamp: 0.5, cpu: 0, epoch: 0 };
  private readonly fromBoot: boolean;
  /** Cache line size for the overlap check. */
  readonly lineSize: number;
  private readonly keepReleased: boolean;

  constructor(private readonly sink: FindingSink, options: CheckOptions = {}) {
    this.fromBoot = options.fromBoot ?? false;
    this.lineSize = options.cacheLine ?? 64;
    this.keepReleased = options.keepReleased ?? false;
  }

  /** Applies one record; returns the decoded event (`bad` when a DMA event's fields could not be read). */
  apply(r: TraceRecord): DmaEvent | undefined {
    if (r.kind === 'lost') {
      this.epoch++;
      this.lostEvents += r.lost;
      return undefined;
    }
    if (r.kind !== 'event') return undefined;
    return this.applyEvent(decodeEvent(r), r.line, r.offset, r.timestamp, r.cpu);
  }

  /** Applies an event decoded already; returns it. */
  applyEvent(e: DmaEvent, line: number, offset: number, timestamp: number, cpu: number): DmaEvent {
    this.dispatch(e, this.moveTo(line, offset, timestamp, cpu));
    return e;
  }

  /**
   * Where the next event happened: the reader's fast path hands its events over as numbers (`replayRecord`), to
   * the methods below, after this. Small enough to be inlined into a caller's loop, where the numbers reach `now`
   * without a heap number each.
   */
  moveTo(line: number, offset: number, timestamp: number, cpu: number): Origin {
    const o = this.now;
    o.line = line;
    o.offset = offset;
    o.timestamp = timestamp;
    o.cpu = cpu;
    o.epoch = this.epoch;
    return o;
  }

  // The common events, one method per kind: the fast path's records come in here (`replayRecord`), and so do the
  // decoded events of `dispatch`, each at the origin `moveTo` set.

  map(device: string, dir: TraceDirection, dma: number, size: number, phys: number, attrs: string): void {
    const o = this.now;
    const d = this.device(device);
    if (dma === DMA_MAPPING_ERROR) return this.onMapError(device, o, `mapping ${size} bytes at phys ${hex(phys)} ${dir} failed (DMA_MAPPING_ERROR)`);
    const bounce = d.pendingBounces.size === 0 ? undefined : d.pendingBounces.get(phys);
    if (bounce) d.pendingBounces.delete(phys);
    const cln = Math.floor(phys / this.lineSize);
    // Nothing at its address and nothing in its cache line, as almost always: no object for it until one is asked for.
    if (d.byDma.find(dma) < 0 && (dir === 'TO_DEVICE' || !this.cachelines.held(cln))) {
      d.byDma.addSingle(this.nextId++, dma, size, phys, dir, attrs, bounce !== undefined, o);
      if (dir !== 'TO_DEVICE') this.cachelines.add(cln, d.index, dma, 0);
      return this.counted(d, size);
    }
    const m = this.newMapping('single', device, dir, attrs, o, 0, false, bounce !== undefined);
    // A one-entry array: a push would make room for sixteen, garbage for every map of a long capture.
    m.segments = [{ mapping: m, index: 0, dma, size, phys }];
    m.identity = !m.bounced && dma === phys;
    this.insert(d, m);
  }

  unmap(device: string, dir: TraceDirection, dma: number, size: number): void {
    const o = this.now;
    const d = this.device(device);
    if (dma === DMA_MAPPING_ERROR) {
      const rel = d.lastMapError ? [at(d.lastMapError, 'the map that failed')] : [];
      return this.report('api-misuse', 'unmap-failed-mapping', o, d.name, `${unmapText(dma, size)} passes DMA_MAPPING_ERROR: the map failed and must not be unmapped (DMA-API: device driver tries to free an invalid DMA memory address)`, rel);
    }
    const slot = d.byDma.find(dma);
    if (slot >= 0 && !this.keepReleased && d.byDma.isNumbers(slot) && d.byDma.sizeAt(slot) === size && d.byDma.directionAt(slot) === dir) {
      // A single mapping kept as numbers, unmapped as mapped: released with no object made.
      if (dir !== 'TO_DEVICE') this.cachelines.remove(Math.floor(d.byDma.physAt(slot) / this.lineSize), d.index, dma, 0);
      this.countUnmap(d, o, d.byDma.lineAt(slot), d.byDma.timestampAt(slot), dma, size);
      d.byDma.removeAt(slot);
      d.live--;
      d.unmapped.set(dma, o);
      return;
    }
    const seg = slot < 0 ? undefined : d.byDma.segment(slot);
    if (seg) {
      const m = seg.mapping;
      if (m.kind === 'sg') this.report('api-misuse', 'kind-mismatch', o, d.name, `${unmapText(dma, size)} releases part of ${describe(m)} (DMA-API: device driver frees DMA memory with wrong function [mapped as scatter-gather] [unmapped as single])`, [at(m.origin, 'mapped here')]);
      this.compare(m, seg.size, dir, dma, size, o);
      return this.release(d, m, o, seg);
    }
    const dropped = d.dropped.get(dma);
    if (dropped) {
      d.dropped.delete(dma);
      this.compare(dropped, dropped.segments[0].size, dir, dma, size, o);
      this.revealOverlap(dropped);
      d.stats.unmaps++;
      d.unmapped.set(dma, o, dropped.segments[0]);
      return;
    }
    const alloc = d.coherent.get(dma);
    if (alloc) {
      this.report('api-misuse', 'kind-mismatch', o, d.name, `${unmapText(dma, size)} releases a ${alloc.api} allocation (DMA-API: device driver frees DMA memory with wrong function [mapped as coherent] [unmapped as single])`, [at(alloc.origin, 'allocated here')]);
      // dma-debug forgets the entry after reporting, as after any unmap that found one.
      this.free(d, alloc, o);
      d.unmapped.set(dma, o, alloc);
      return;
    }
    const prev = d.unmapped.get(dma);
    this.unknownRelease(d, prev, o, unmapText(dma, size), 'double-unmap', 'unmap-not-mapped');
    d.unmapped.set(dma, o, prev?.what);
  }

  sync(device: string, dir: TraceDirection, forCpu: boolean, dma: number, size: number): void {
    this.onSync(device, dir, forCpu, dma, size, this.now, false);
  }

  iommuMap(iova: number, paddr: number, size: number): void {
    this.iommu.map(iova, paddr, size, this.now);
  }

  iommuUnmap(iova: number, size: number): void {
    this.iommu.unmap(iova, size);
  }

  private dispatch(e: DmaEvent, o: Origin): void {
    if (replayEvent(e, this)) return;
    switch (e.op) {
      case 'map_sg': return this.onMapSg(e, o);
      case 'map_sg_err': return this.onMapError(e.device, o, `dma_map_sg failed with error ${e.err}`);
      case 'unmap_sg': return this.onUnmapSg(e, o);
      case 'sync_sg': return this.onSyncSg(e, o);
      case 'alloc': return this.onAlloc(e, o);
      case 'free': return this.onFree(e, o);
      case 'bounce':
        this.device(e.device).pendingBounces.set(e.phys, { origin: keep(o), size: e.size });
        this.device(e.device).stats.bounces++;
        return;
      case 'fence': return this.onFence(e, o);
      case 'mark':
        this.lastMark = e.text;
        return;
    }
  }

  /** End of trace: what is still live is window information, or with `fromBoot`, a leak. */
  finish(): void {
    for (const d of this.devices.values()) {
      const identityDropper = d.stats.dropped > 0;
      for (const m of d.mappings()) {
        const skipped = m.identity && identityDropper;
        // Lost events after the map may have held its unmap; none were lost after a map of the last epoch.
        const leak = this.fromBoot && !skipped && m.origin.epoch === this.epoch;
        this.report(leak ? 'leak' : 'window', leak ? 'mapping-leak' : 'live-at-end', m.origin, d.name,
          `${describe(m)} is still mapped at the end of the trace` + (skipped
            ? '; this device skips unmaps of dma-direct mappings (dma_need_unmap() is false), so this is no leak'
            : leak ? ' (DMA-API: device driver has pending DMA allocations)' : ': it may be unmapped after the capture stopped'), []);
      }
      for (const a of d.coherent.values()) {
        const leak = this.fromBoot && a.origin.epoch === this.epoch;
        this.report(leak ? 'leak' : 'window', leak ? 'allocation-leak' : 'live-at-end', a.origin, d.name,
          `${a.api} allocation ${hex(a.dma)} (${a.size} bytes) is still allocated at the end of the trace` + (leak ? '' : ': drivers keep rings allocated while bound'), []);
      }
    }
  }

  /** The device whose `DeviceState.index` is `index`. */
  deviceAt(index: number): DeviceState {
    return this.byIndex[index];
  }

  /** The state of device `name`, if it has had an event (a debugger's look before applying the next one). */
  deviceNamed(name: string): DeviceState | undefined {
    const last = this.lastDevice;
    return last !== undefined && last.name === name ? last : this.devices.get(name);
  }

  device(name: string): DeviceState {
    // Events of one device come in runs: the last one found saves a lookup.
    const last = this.lastDevice;
    if (last !== undefined && last.name === name) return last;
    let d = this.devices.get(name);
    if (!d) {
      d = new DeviceState(name, this.byIndex.length, this.keepReleased);
      this.devices.set(name, d);
      this.byIndex.push(d);
    }
    this.lastDevice = d;
    return d;
  }

  /** The live mapping (of any device) holding `addr` as a dma address (as a sync finds it), else as a physical one. */
  mappingAt(addr: number): { device: string; mapping: StreamingMapping; segment: Segment } | undefined {
    for (const d of this.devices.values()) {
      const s = d.segmentAt(addr);
      if (s) return { device: d.name, mapping: s.mapping, segment: s };
    }
    for (const d of this.devices.values()) {
      const s = d.byDma.holdingPhys(addr);
      if (s) return { device: d.name, mapping: s.mapping, segment: s };
    }
    return undefined;
  }

  /**
   * What release `e` (an unmap, an sg unmap, a free) releases, found as its check finds it in the state before `e`: a
   * live mapping holding its very address (or a dma-direct one taken as dropped), an sg list by its first entry, an
   * allocation; a release of the wrong kind releases all the same (a free a mapping, an unmap an allocation). The
   * handlers look it up inline (the hot path has no event object), in the same order: a test holds them to this.
   */
  releasedBy(e: Extract<DmaEvent, { op: 'unmap_sg' }>): StreamingMapping | undefined;
  releasedBy(e: DmaEvent): StreamingMapping | Allocation | undefined;
  releasedBy(e: DmaEvent): StreamingMapping | Allocation | undefined {
    if (e.op !== 'unmap' && e.op !== 'unmap_sg' && e.op !== 'free') return undefined;
    const d = this.deviceNamed(e.device);
    if (d === undefined) return undefined;
    if (e.op === 'unmap_sg') return d.sgByPhys.get(e.phys[0])?.[0];
    const mapping = d.byDma.get(e.dma)?.mapping;
    const alloc = d.coherent.get(e.dma);
    if (e.op === 'free') return alloc ?? mapping;
    return e.dma === DMA_MAPPING_ERROR ? undefined : mapping ?? d.dropped.get(e.dma) ?? alloc;
  }

  /**
   * What sg unmap `e` unmaps, live, in the state before it: the list (`releasedBy`), else a dma-direct single mapping
   * at its first address, which it releases by the wrong function and leaves mapped.
   */
  unmappedBySg(e: Extract<DmaEvent, { op: 'unmap_sg' }>): StreamingMapping | undefined {
    return this.releasedBy(e) ?? this.deviceNamed(e.device)?.singleUnderList(e.phys[0]);
  }

  /** The streaming mapping sync `e` (single or sg) syncs, as its check finds it in the state before `e`: holding its address, an sg list by its first entry. */
  syncedBy(e: DmaEvent): StreamingMapping | undefined {
    if (e.op !== 'sync' && e.op !== 'sync_sg') return undefined;
    const d = this.deviceNamed(e.device);
    if (d === undefined) return undefined;
    return e.op === 'sync' ? this.syncTarget(d, e.dma, e.size).mapping : d.byDma.get(e.dmas[0])?.mapping;
  }

  /** What a sync of [addr, +len) (entry `entry` of an sg sync) reaches: the live segment (`entrySynced`) and its mapping, else a dma-direct mapping at `addr` taken as dropped. */
  private syncTarget(d: DeviceState, addr: number, len: number, entry?: number): { segment?: Segment; mapping?: StreamingMapping } {
    const segment = d.entrySynced(addr, len, entry);
    return { segment, mapping: segment?.mapping ?? d.dropped.get(addr) };
  }

  /** Whether a release or sync of an address now is decided by `prev`, its last release: no events were lost since. */
  private decidedBy(prev: Release | undefined): prev is Release {
    return prev !== undefined && prev.epoch === this.epoch;
  }

  /**
   * What release or sync `e` comes to (`Outcome`), decided in the state before `e` in its handler's order: what
   * `releasedBy` (for a sync, `syncTarget`) finds live; for an sg unmap, then a dma-direct single mapping at the list's first
   * address; then the address's last release in the log the handler reads (`unmapped`, `unmappedSg`, `freed`). An
   * unmap of DMA_MAPPING_ERROR looks up nothing. For a sync_sg, what its entry `entry` comes to, undefined for an
   * entry the handler skips (no size, DMA_MAPPING_ERROR, past the mapped list's entries). A test holds it to the handlers.
   */
  outcomeOf(e: Extract<DmaEvent, { op: 'unmap_sg' | 'sync' | 'sync_sg' }>, entry?: number): Outcome<StreamingMapping> | undefined;
  outcomeOf(e: DmaEvent, entry?: number): Outcome | undefined;
  outcomeOf(e: DmaEvent, entry = 0): Outcome | undefined {
    const d = 'device' in e ? this.deviceNamed(e.device) : undefined;
    if (d === undefined) return undefined;
    let live: StreamingMapping | Allocation | undefined;
    let segment: Segment | undefined;
    let log = d.unmapped;
    let addr: number;
    switch (e.op) {
      case 'unmap':
        if (e.dma === DMA_MAPPING_ERROR) return undefined;
        live = this.releasedBy(e);
        addr = e.dma;
        break;
      case 'free':
        live = this.releasedBy(e);
        log = d.freed;
        addr = e.dma;
        break;
      case 'unmap_sg': {
        // A list it releases; a single mapping it only reports.
        live = this.unmappedBySg(e);
        if (live?.kind === 'single') return { kind: 'kept', what: live };
        log = d.unmappedSg;
        addr = e.phys[0];
        break;
      }
      case 'sync':
        addr = e.dma;
        ({ segment, mapping: live } = this.syncTarget(d, addr, e.size));
        break;
      case 'sync_sg': {
        if (!syncReaches(e, entry, d.byDma.get(e.dmas[0]))) return undefined;
        addr = e.dmas[entry];
        ({ segment, mapping: live } = this.syncTarget(d, addr, e.sizes[entry], entry));
        break;
      }
      default:
        return undefined;
    }
    if (live) return segment ? { kind: 'live', what: live, segment } : { kind: 'live', what: live };
    // The log is read only now: it indexes its releases when first asked, and almost every release finds one live.
    const prev = log.get(addr);
    return this.decidedBy(prev) ? { kind: 'again', release: prev } : undefined;
  }

  /** A copy of the whole state, for a debugger's checkpoints; the copy reports to `sink`. */
  clone(sink: FindingSink): TraceChecker {
    const c = new TraceChecker(sink, { fromBoot: this.fromBoot, cacheLine: this.lineSize, keepReleased: this.keepReleased });
    c.devices = new Map([...this.devices].map(([k, v]) => [k, v.clone()]));
    c.byIndex = [...c.devices.values()];
    c.iommu = this.iommu.clone();
    c.fences = this.fences.clone();
    c.cachelines = this.cachelines.clone();
    c.epoch = this.epoch;
    c.lostEvents = this.lostEvents;
    c.lastMark = this.lastMark;
    c.nextId = this.nextId;
    return c;
  }

  // ---- streaming maps

  private onMapSg(e: Extract<DmaEvent, { op: 'map_sg' }>, o: Origin): void {
    const d = this.device(e.device);
    let bounced = false;
    for (let i = 0; i < e.dmas.length; i++) {
      if (d.pendingBounces.get(e.phys[i]) !== undefined) {
        d.pendingBounces.delete(e.phys[i]);
        bounced = true;
      }
    }
    const m = this.newMapping('sg', e.device, e.dir, e.attrs, o, e.nents, e.truncated, bounced);
    const segments: Segment[] = (m.segments = []);
    let identity = !bounced;
    for (let i = 0; i < e.dmas.length; i++) {
      const phys = e.phys[i] ?? NaN;
      segments.push({ mapping: m, index: i, dma: e.dmas[i], size: e.sizes[i], phys });
      if (e.dmas[i] !== phys) identity = false;
    }
    m.identity = identity;
    if (segments.length === 0) return;
    this.insert(d, m);
    const list = d.sgByPhys.get(e.phys[0]);
    if (list) list.push(m);
    else d.sgByPhys.set(e.phys[0], [m]);
  }

  private onMapError(device: string, o: Origin, what: string): void {
    const d = this.device(device);
    d.stats.mapErrors++;
    d.lastMapError = keep(o);
    this.report('constraint-violation', 'map-error', o, device, `${what}: the driver must check dma_mapping_error() and not use the address`, []);
  }

  /** A mapping whose segments (which point back to it) the caller sets next. */
  private newMapping(kind: 'single' | 'sg', device: string, dir: TraceDirection, attrs: string, origin: Origin, nents: number, truncated: boolean, bounced: boolean): StreamingMapping {
    return { id: this.nextId++, kind, device, dir, attrs, segments: NO_SEGMENTS, nents, truncated, bounced, identity: false, origin: keep(origin) };
  }

  /** Adds a new mapping after settling what it collides with (same dma address; same first cache line). */
  private insert(d: DeviceState, m: StreamingMapping): void {
    const segments = m.segments;
    for (let i = 0; i < segments.length; i++) {
      const old = d.byDma.get(segments[i].dma);
      if (old) this.supersede(d, old.mapping, m, 'dma');
    }
    // `unmapped` keeps its entry: every unmap replaces it, so it never outlives a later map and unmap. The segments
    // are in place before their lines are taken, so that a line can name its holder among them. An sg list may
    // give one dma address twice: the table keeps the longest entry there, which holds every sync the others do
    // (dma-debug finds the entry containing a sync among all of them).
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i];
      const there = i === 0 ? undefined : d.byDma.get(s.dma);
      if (!there || there.mapping !== m || there.size < s.size) d.byDma.set(s.dma, s);
    }
    if (m.dir !== 'TO_DEVICE') {
      for (let i = 0; i < segments.length; i++) {
        const s = segments[i];
        const cln = Math.floor(s.phys / this.lineSize);
        let other = this.holderOf(cln);
        // A dma-direct mapping whose line is mapped again was dropped, unless the trace later shows it live.
        while (other && other.mapping !== m && other.mapping.identity) {
          this.supersede(this.device(other.mapping.device), other.mapping, m, 'cacheline');
          other = this.holderOf(cln);
        }
        if (!other || hasAttr(m.attrs, 'SKIP_CPU_SYNC') || (hasAttr(m.attrs, 'CACHE_CLEAN') && hasAttr(other.mapping.attrs, 'CACHE_CLEAN'))) {
          // Nothing to report.
        } else if (other.mapping === m) {
          // dma-debug adds an sg list's entries one by one: two of them in one line overlap as two mappings would.
          this.report('api-misuse', 'overlapping-mapping', m.origin, m.device,
            `${describe(m)}, mapped ${m.dir}: its entries ${other.index} (phys ${hex(other.phys)}) and ${s.index} (phys ${hex(s.phys)}) start in the same cache line, ` +
            `which the device writes through both (DMA-API: cacheline tracking EEXIST, overlapping mappings aren't supported)`, []);
        } else this.reportOverlap(m, other.mapping, m.origin);
        this.cachelines.add(cln, d.index, s.dma, s.index);
      }
    }
    this.counted(d, mappedBytes(m));
  }

  /** Counts a new live mapping of `bytes`. */
  private counted(d: DeviceState, bytes: number): void {
    d.stats.maps++;
    d.stats.bytes += bytes;
    d.live++;
    if (d.live > d.stats.peakLive) d.stats.peakLive = d.live;
  }

  /** The live segment holding cache line `cln` (an entry of an sg list that repeats its dma address, too). */
  private holderOf(cln: number): Segment | undefined {
    const h = this.cachelines.holder(cln);
    const at = h && this.byIndex[h.device].byDma.get(h.dma);
    return at && at.index !== h.index ? at.mapping.segments[h.index] : at;
  }

  /**
   * `old` is still live but `m` reuses its dma address or first cache line. An identity (dma-direct) mapping
   * needs no unmap when dma_need_unmap() is false, so it is taken as dropped; any other mapping's address could
   * only be handed out again after an unmap the trace does not show: a leak, unless events were lost between.
   */
  private supersede(d: DeviceState, old: StreamingMapping, m: StreamingMapping, why: 'dma' | 'cacheline'): void {
    this.remove(d, old);
    if (old.identity) {
      d.stats.dropped++;
      d.dropped.set(old.segments[0].dma, { ...old, supersededBy: m });
      return;
    }
    if (why === 'cacheline') return;
    const decided = old.origin.epoch === m.origin.epoch;
    this.report(decided ? 'leak' : 'window', decided ? 'missing-unmap' : 'lost-events', old.origin, d.name,
      `${describe(old)} was never unmapped: line ${m.origin.line} maps dma address ${hex(old.segments[0].dma)} again` +
      (decided ? '' : ', but events were lost in between'), [at(m.origin, 'the same dma address mapped again here')]);
  }

  private reportOverlap(m: StreamingMapping, other: StreamingMapping, o: Origin): void {
    this.report('api-misuse', 'overlapping-mapping', o, m.device,
      `${describe(m)}, mapped ${m.dir}, starts in the same cache line as ${describe(other)} of ${other.device}, still mapped ${other.dir}: ` +
      'two device-writable mappings of one cache line corrupt each other (DMA-API: cacheline tracking EEXIST, overlapping mappings aren\'t supported)',
      [at(other.origin, 'the other mapping was made here')]);
  }

  private remove(d: DeviceState, m: StreamingMapping): void {
    // TO_DEVICE segments are never in `cachelines`.
    const tracked = m.dir !== 'TO_DEVICE';
    for (let i = 0; i < m.segments.length; i++) {
      const s = m.segments[i];
      d.byDma.delete(s.dma, s);
      if (tracked) this.cachelines.remove(Math.floor(s.phys / this.lineSize), d.index, s.dma, s.index);
    }
    if (m.kind === 'sg') {
      const list = d.sgByPhys.get(m.segments[0].phys);
      const i = list ? list.indexOf(m) : -1;
      if (list && i >= 0) list.splice(i, 1);
      if (list && list.length === 0) d.sgByPhys.delete(m.segments[0].phys);
    }
    d.live--;
  }

  // ---- unmaps

  private onUnmapSg(e: Extract<DmaEvent, { op: 'unmap_sg' }>, o: Origin): void {
    const d = this.device(e.device);
    const first = e.phys[0];
    const m = d.sgByPhys.get(first)?.[0];
    if (m) {
      if (m.dir !== e.dir) this.mismatch('direction-mismatch', o, m, `${unmapSgText(e)} uses ${e.dir}, but ${describe(m)} was mapped ${m.dir} (DMA-API: device driver frees DMA memory with different direction)`);
      if (m.nents !== e.phys.length) this.mismatch('sg-count-mismatch', o, m, `${unmapSgText(e)} passes ${e.phys.length} entries, but the list was mapped with nents=${m.nents} (DMA-API: device driver frees DMA sg list with different entry count)`);
      this.release(d, m, o, undefined);
      d.unmappedSg.set(first, o, m.segments[0]);
      // A later sync of an entry's address is then a sync of unmapped memory, as after a single unmap.
      for (let i = 0; i < m.segments.length; i++) d.unmapped.set(m.segments[i].dma, o, m.segments[i]);
      return;
    }
    const single = d.singleUnderList(first);
    if (single) {
      return this.mismatch('kind-mismatch', o, single, `${unmapSgText(e)} releases ${describe(single)} (DMA-API: device driver frees DMA memory with wrong function [mapped as single] [unmapped as scatter-gather])`);
    }
    const prev = d.unmappedSg.get(first);
    this.unknownRelease(d, prev, o, unmapSgText(e), 'double-unmap', 'unmap-not-mapped');
    d.unmappedSg.set(first, o, prev?.what);
  }

  /** The checks of dma-debug's check_unmap that compare an unmap with its map. */
  private compare(m: StreamingMapping, mappedSize: number, dir: TraceDirection, dma: number, size: number, o: Origin): void {
    if (mappedSize !== size) this.mismatch('size-mismatch', o, m, `${unmapText(dma, size)}: ${describe(m)} was mapped with ${mappedSize} bytes (DMA-API: device driver frees DMA memory with different size)`);
    if (m.dir !== dir) this.mismatch('direction-mismatch', o, m, `${unmapText(dma, size)} passes ${dir}, but ${describe(m)} was mapped ${m.dir} (DMA-API: device driver frees DMA memory with different direction)`);
  }

  private mismatch(detail: string, o: Origin, m: StreamingMapping, message: string): void {
    this.report('api-misuse', detail, o, m.device, message, [at(m.origin, 'mapped here')]);
  }

  /** Releases `m`; an unmap or free by address logs the segment `at` it found (an sg unmap logs its entries itself). */
  private release(d: DeviceState, m: StreamingMapping, o: Origin, at: Segment | undefined): void {
    this.remove(d, m);
    this.countUnmap(d, o, m.origin.line, m.origin.timestamp, m.segments[0].dma, mappedBytes(m));
    if (at !== undefined) d.unmapped.set(at.dma, o, at);
  }

  /** Counts the unmap at `o` of a mapping made at `line`, `timestamp`, and whether it lived longest. */
  private countUnmap(d: DeviceState, o: Origin, line: number, timestamp: number, dma: number, size: number): void {
    d.stats.unmaps++;
    const seconds = o.timestamp - timestamp;
    if (!d.stats.longest || seconds > d.stats.longest.seconds) d.stats.longest = { line, dma, size, seconds: Math.round(seconds * 1e6) / 1e6 };
  }

  /** A dropped identity mapping turned out to be live: if a device-writable mapping took its cache line meanwhile, they overlapped. */
  private revealOverlap(dropped: StreamingMapping): void {
    const by = dropped.supersededBy;
    if (!by || dropped.dir === 'TO_DEVICE' || by.dir === 'TO_DEVICE' || hasAttr(by.attrs, 'SKIP_CPU_SYNC')) return;
    const sameLine = by.segments.some((s) => Math.floor(s.phys / this.lineSize) === Math.floor(dropped.segments[0].phys / this.lineSize));
    if (sameLine) this.reportOverlap(by, dropped, by.origin);
  }

  /** A release (unmap, free) of an address with no live object: decided when the trace saw it released already. */
  private unknownRelease(d: DeviceState, prev: Release | undefined, o: Origin, what: string, twice: string, unknown: string): void {
    if (this.decidedBy(prev)) {
      return this.report('api-misuse', twice, o, d.name, `${what}: the trace released this address already at line ${prev.line} and nothing was mapped there since (DMA-API: device driver tries to free DMA memory it has not allocated)`, [at(prev, 'released first here')]);
    }
    if (prev || o.epoch > 0) return this.report('window', 'lost-events', o, d.name, `${what}: no live mapping, but events were lost before it, so the trace cannot tell`, []);
    if (this.fromBoot) return this.report('api-misuse', unknown, o, d.name, `${what}: nothing is mapped there since boot (DMA-API: device driver tries to free DMA memory it has not allocated)`, []);
    this.report('window', 'mapped-before-trace', o, d.name, `${what}: mapped before the trace began`, []);
  }

  // ---- syncs

  private onSync(device: string, dir: TraceDirection, forCpu: boolean, dma: number, size: number, o: Origin, inSg: boolean): void {
    const d = this.device(device);
    if (!inSg) d.stats.syncs++;
    const slot = d.byDma.find(dma);
    if (slot >= 0 && d.byDma.isNumbers(slot) && size <= d.byDma.sizeAt(slot)) {
      // The start of a single mapping kept as numbers, in range: the direction is all there is to check.
      const mapped = d.byDma.directionAt(slot);
      if (mapped === 'BIDIRECTIONAL' || mapped === dir) return;
    }
    const seg = d.segmentAt(dma, size);
    const dropped = seg ? undefined : d.dropped.get(dma);
    const m = seg?.mapping ?? dropped;
    if (m) {
      const base = seg ?? m.segments[0];
      if (dma + size > base.dma + base.size) {
        this.mismatch('sync-outside-mapping', o, m, `${syncText(inSg, forCpu, dma, size)} reaches ${dma + size - (base.dma + base.size)} bytes past the end of ${describe(m)} [${hex(base.dma)}, +${base.size}) (DMA-API: device driver syncs DMA memory outside allocated range)`);
      }
      if (m.dir !== 'BIDIRECTIONAL' && m.dir !== dir) {
        this.mismatch('direction-mismatch', o, m, `${syncText(inSg, forCpu, dma, size)} passes ${dir}, but ${describe(m)} was mapped ${m.dir} (DMA-API: device driver syncs DMA memory with different direction)`);
      }
      return;
    }
    const prev = d.unmapped.get(dma);
    if (this.decidedBy(prev)) {
      return this.report('api-misuse', 'sync-unmapped', o, device, `${syncText(inSg, forCpu, dma, size)}: the trace unmapped this address at line ${prev.line} and did not map it again (DMA-API: device driver tries to sync DMA memory it has not allocated)`, [at(prev, 'unmapped here')]);
    }
    if (prev || o.epoch > 0) return this.report('window', 'lost-events', o, device, `${syncText(inSg, forCpu, dma, size)}: no live mapping, but events were lost before it`, []);
    if (this.fromBoot) return this.report('api-misuse', 'sync-not-mapped', o, device, `${syncText(inSg, forCpu, dma, size)}: nothing is mapped there (DMA-API: device driver tries to sync DMA memory it has not allocated)`, []);
    this.report('window', 'mapped-before-trace', o, device, `${syncText(inSg, forCpu, dma, size)}: mapped before the trace began`, []);
  }

  private onSyncSg(e: Extract<DmaEvent, { op: 'sync_sg' }>, o: Origin): void {
    const d = this.device(e.device);
    d.stats.syncs++;
    const head = d.byDma.get(e.dmas[0]);
    for (let i = 0; i < e.dmas.length; i++) if (syncReaches(e, i, head)) this.onSync(e.device, e.dir, e.forCpu, e.dmas[i], e.sizes[i], o, true);
    if (head && head.mapping.kind === 'sg' && head.mapping.nents !== e.dmas.length) {
      this.mismatch('sg-count-mismatch', o, head.mapping, `dma_sync_sg_for_${e.forCpu ? 'cpu' : 'device'} passes ${e.dmas.length} entries, but the list was mapped with nents=${head.mapping.nents} (DMA-API: device driver syncs DMA sg list with different entry count)`);
    }
  }

  // ---- coherent and page allocations

  private onAlloc(e: Extract<DmaEvent, { op: 'alloc' }>, o: Origin): void {
    const d = this.device(e.device);
    if (e.failed) return this.onMapError(e.device, o, `dma_alloc (${e.api}) of ${e.size} bytes failed`);
    const old = d.coherent.get(e.dma);
    if (old) {
      const decided = old.origin.epoch === o.epoch;
      this.report(decided ? 'leak' : 'window', decided ? 'missing-free' : 'lost-events', old.origin, d.name,
        `${old.api} allocation ${hex(old.dma)} (${old.size} bytes) was never freed: line ${o.line} allocates the same dma address again`, [at(o, 'allocated again here')]);
    }
    d.coherent.set(e.dma, { api: e.api, device: e.device, dma: e.dma, size: e.size, virt: e.virt, origin: keep(o) });
    d.stats.allocs++;
  }

  private onFree(e: Extract<DmaEvent, { op: 'free' }>, o: Origin): void {
    const d = this.device(e.device);
    const a = d.coherent.get(e.dma);
    if (a) {
      const rel = [at(a.origin, 'allocated here')];
      if (a.size !== e.size) this.report('api-misuse', 'size-mismatch', o, d.name, `${freeText(e)}, but it was allocated with ${a.size} bytes (DMA-API: device driver frees DMA memory with different size)`, rel);
      if (a.api !== e.api) this.report('api-misuse', 'kind-mismatch', o, d.name, `${freeText(e)} releases a ${a.api} allocation with the ${e.api} free`, rel);
      if (a.virt !== undefined && e.virt !== undefined && a.virt !== e.virt) {
        this.report('api-misuse', 'cpu-address-mismatch', o, d.name, `${freeText(e)} passes virt_addr=${e.virt}, but it was allocated at virt_addr=${a.virt} (DMA-API: device driver frees DMA memory with different CPU address)`, rel);
      }
      return this.free(d, a, o);
    }
    const seg = d.byDma.get(e.dma);
    if (seg) {
      this.mismatch('kind-mismatch', o, seg.mapping, `${freeText(e)} releases ${describe(seg.mapping)} (DMA-API: device driver frees DMA memory with wrong function [mapped as streaming] [unmapped as coherent])`);
      // Released all the same, as dma-debug drops the entry it found.
      this.release(d, seg.mapping, o, seg);
      d.freed.set(e.dma, o, seg);
      return;
    }
    const prev = d.freed.get(e.dma);
    this.unknownRelease(d, prev, o, freeText(e), 'double-free', 'free-not-allocated');
    d.freed.set(e.dma, o, prev?.what);
  }

  /** Frees allocation `a`, by a free or by an unmap (the wrong kind, freed all the same). */
  private free(d: DeviceState, a: Allocation, o: Origin): void {
    d.coherent.delete(a.dma);
    d.freed.set(a.dma, o, a);
    d.stats.frees++;
  }

  private onFence(e: Extract<DmaEvent, { op: 'fence' }>, o: Origin): void {
    const key = `${e.context}:${e.seqno}`;
    if (e.what === 'destroy') this.fences.delete(key);
    else this.fences.set(key, { driver: e.driver, timeline: e.timeline, context: e.context, seqno: e.seqno, state: e.what, origin: keep(o) });
  }

  private report(kind: FindingKind, detail: string, o: Origin, device: string, message: string, related: Rel[]): void {
    this.sink({ kind, detail, line: o.line, offset: o.offset, timestamp: o.timestamp, device, message, related });
  }
}

/** A mapping as a driver developer names it. */
export function describe(m: StreamingMapping): string {
  const s = m.segments[0];
  const where = m.kind === 'sg'
    ? `the sg mapping at line ${m.origin.line} (${m.nents} entries, first ${hex(s.dma)})`
    : `the mapping at line ${m.origin.line} (${hex(s.dma)}, ${s.size} bytes)`;
  return where;
}
