// One device's DMA state at a moment of the trace: live streaming mappings by dma address and by sg list,
// coherent allocations, what it recently released, bounces waiting for their map, and its running figures.
import { BoundedMap } from './boundedMap';
import { LiveSegments } from './liveSegments';
import { entryOf, type Allocation, type Origin, type Segment, type StreamingMapping } from './mappings';
import { ReleaseLog } from './releaseLog';

/** How many released addresses, dropped mappings and pending bounces a device remembers. */
export const MEMORY_PER_DEVICE = 16384;

export interface LongestLived {
  line: number;
  dma: number;
  size: number;
  seconds: number;
}

export interface DeviceStats {
  maps: number;
  unmaps: number;
  syncs: number;
  /** Bytes mapped by all streaming maps together. */
  bytes: number;
  peakLive: number;
  mapErrors: number;
  allocs: number;
  frees: number;
  bounces: number;
  /** dma-direct mappings whose memory was mapped again with no unmap between (the driver skipped the unmap). */
  dropped: number;
  longest?: LongestLived;
}

export interface PendingBounce {
  origin: Origin;
  size: number;
}

export class DeviceState {
  /** Every live segment by its dma address. */
  byDma: LiveSegments;
  /** Live sg mappings by the physical address of their first entry (what `dma_unmap_sg` prints). */
  sgByPhys = new Map<number, StreamingMapping[]>();
  coherent = new Map<number, Allocation>();
  /** Where the trace last released an address (by dma address; sg lists by first phys): a second release is decided. */
  unmapped: ReleaseLog;
  unmappedSg: ReleaseLog;
  freed: ReleaseLog;
  dropped = new BoundedMap<number, StreamingMapping>(MEMORY_PER_DEVICE);
  pendingBounces = new BoundedMap<number, PendingBounce>(MEMORY_PER_DEVICE);
  live = 0;
  /** A DMA_MAPPING_ERROR map the driver could wrongly pass on. */
  lastMapError?: Origin;
  stats: DeviceStats = { maps: 0, unmaps: 0, syncs: 0, bytes: 0, peakLive: 0, mapErrors: 0, allocs: 0, frees: 0, bounces: 0, dropped: 0 };

  /** `index`: the device's place among the trace's devices, by first event. `keepReleased`: the release logs keep what each release released. */
  constructor(readonly name: string, readonly index: number, keepReleased = false) {
    this.byDma = new LiveSegments(name);
    this.unmapped = new ReleaseLog(MEMORY_PER_DEVICE, keepReleased);
    this.unmappedSg = new ReleaseLog(MEMORY_PER_DEVICE, keepReleased);
    this.freed = new ReleaseLog(MEMORY_PER_DEVICE, keepReleased);
  }

  /** The live streaming mappings, each once, oldest first. */
  mappings(): StreamingMapping[] {
    // By its segments in the table: an sg list that gives one dma address twice keeps only its longest entry there,
    // which need not be its first.
    const all = new Set<StreamingMapping>();
    for (const s of this.byDma.values()) all.add(s.mapping);
    return [...all].sort((a, b) => a.id - b.id);
  }

  /**
   * A dma-direct single mapping at `addr`, the first address of an sg list: an sg unmap of that list then releases
   * it by the wrong function, and it stays mapped.
   */
  singleUnderList(addr: number): StreamingMapping | undefined {
    const m = this.byDma.get(addr)?.mapping;
    return m && m.identity && m.kind === 'single' ? m : undefined;
  }

  /** The live segment holding dma address `addr` (and the `len` bytes from it, if one does), as a sync finds it. */
  segmentAt(addr: number, len = 1): Segment | undefined {
    return this.byDma.holding(addr, len);
  }

  /** The live segment a sync of [addr, +len) syncs (for an sg sync, its entry `entry`: `entryOf`). */
  entrySynced(addr: number, len: number, entry: number | undefined): Segment | undefined {
    const s = this.segmentAt(addr, len);
    return s && entryOf(s, addr, len, entry);
  }

  /**
   * The physical address of `addr` in the segment a sync of [addr, +len) syncs, as `entrySynced` picks it, with no
   * object made for a single mapping kept as numbers (a debugger asks at every sync of its first pass).
   */
  physSynced(addr: number, len: number, entry: number | undefined): number | undefined {
    const slot = this.byDma.holdingSlot(addr, len);
    if (slot < 0) return undefined;
    if (entry === undefined || this.byDma.isNumbers(slot)) return this.byDma.physIn(slot, addr);
    const s = entryOf(this.byDma.segment(slot), addr, len, entry);
    return s.phys + (addr - s.dma);
  }

  /** The physical address of the live segment an unmap of `addr` releases: the one starting there (no object made). */
  physUnmapped(addr: number): number | undefined {
    const slot = this.byDma.find(addr);
    return slot < 0 ? undefined : this.byDma.physAt(slot);
  }

  /** A copy that later events do not change (mapping objects are shared: the checker never mutates one it keeps). */
  clone(): DeviceState {
    const c = new DeviceState(this.name, this.index);
    c.byDma = this.byDma.clone();
    c.sgByPhys = new Map([...this.sgByPhys].map(([k, v]) => [k, [...v]]));
    c.coherent = new Map(this.coherent);
    c.unmapped = this.unmapped.clone();
    c.unmappedSg = this.unmappedSg.clone();
    c.freed = this.freed.clone();
    c.dropped = this.dropped.clone();
    c.pendingBounces = this.pendingBounces.clone();
    c.live = this.live;
    c.lastMapError = this.lastMapError;
    c.stats = { ...this.stats, longest: this.stats.longest && { ...this.stats.longest } };
    return c;
  }
}
