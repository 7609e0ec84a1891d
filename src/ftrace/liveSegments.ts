// A device's live segments by dma address. A single mapping is kept as numbers in the table and made into its
// mapping and segment objects only when something asks for them (a finding, a release log that keeps them, the
// debugger): a busy capture maps and unmaps by the million, and those objects (with their origins) were most of
// the checker's garbage. The entries of sg lists are objects from the start.
import { AddressTable, slotHolding } from './addressTable';
import { DIRECTION_NAMES } from './eventBatch';
import type { TraceDirection } from './events';
import { O_LINE, O_TIMESTAMP, ORIGIN_FIELDS, originAt, putOrigin, type Origin, type Segment, type StreamingMapping } from './mappings';

// The numbers of an entry. SIZE and PHYS are kept for every segment, so that walks by range need no object; the
// rest only for a single mapping kept as numbers.
const SIZE = 0, PHYS = 1, DIR = 2, BOUNCED = 3, ID = 4, ORIGIN = 5, WIDTH = ORIGIN + ORIGIN_FIELDS;
const LINE = ORIGIN + O_LINE, TIMESTAMP = ORIGIN + O_TIMESTAMP;

export class LiveSegments {
  /** Per slot, its segment, or (a single mapping kept as numbers) the mapping's attrs. */
  constructor(readonly device: string, private readonly table = new AddressTable<Segment | string>(WIDTH)) {}

  /** The slot of the segment at `dma`, or -1; valid until the next change. */
  find(dma: number): number {
    return this.table.find(dma);
  }

  /** Whether the segment at `slot` is a single mapping still kept as numbers only. */
  isNumbers(slot: number): boolean {
    return typeof this.table.object(slot) === 'string';
  }

  sizeAt(slot: number): number {
    return this.table.get(slot, SIZE);
  }

  physAt(slot: number): number {
    return this.table.get(slot, PHYS);
  }

  /** For a single mapping kept as numbers: its direction (the name itself, compared by identity), its map's line and timestamp. */
  directionAt(slot: number): TraceDirection {
    return DIRECTION_NAMES[this.table.get(slot, DIR)];
  }

  lineAt(slot: number): number {
    return this.table.get(slot, LINE);
  }

  timestampAt(slot: number): number {
    return this.table.get(slot, TIMESTAMP);
  }

  /** Adds single mapping number `id` as numbers (no object is made). */
  addSingle(id: number, dma: number, size: number, phys: number, dir: TraceDirection, attrs: string, bounced: boolean, o: Origin): void {
    const t = this.table;
    const slot = t.claim(dma);
    t.put(slot, SIZE, size);
    t.put(slot, PHYS, phys);
    t.put(slot, DIR, DIRECTION_NAMES.indexOf(dir));
    t.put(slot, BOUNCED, bounced ? 1 : 0);
    t.put(slot, ID, id);
    putOrigin(t, slot, ORIGIN, o);
    t.setObject(slot, attrs);
  }

  /** Adds segment `s` as an object. */
  set(dma: number, s: Segment): void {
    const t = this.table;
    const slot = t.claim(dma);
    t.put(slot, SIZE, s.size);
    t.put(slot, PHYS, s.phys);
    t.setObject(slot, s);
  }

  get(dma: number): Segment | undefined {
    const slot = this.table.find(dma);
    return slot < 0 ? undefined : this.segment(slot);
  }

  /** The segment at `slot`, its objects made now if it was kept as numbers (and kept: it stays the same object). */
  segment(slot: number): Segment {
    const t = this.table;
    const held = t.object(slot) as Segment | string;
    if (typeof held !== 'string') return held;
    const bounced = t.get(slot, BOUNCED) === 1;
    const dma = t.key(slot);
    const phys = t.get(slot, PHYS);
    const origin = originAt(t, slot, ORIGIN);
    const m: StreamingMapping = {
      id: t.get(slot, ID), kind: 'single', device: this.device, dir: this.directionAt(slot), attrs: held, segments: [],
      nents: 0, truncated: false, bounced, identity: !bounced && dma === phys, origin,
    };
    const s: Segment = { mapping: m, index: 0, dma, size: t.get(slot, SIZE), phys };
    m.segments.push(s);
    t.setObject(slot, s);
    return s;
  }

  /** Deletes segment `only` at `dma`, if it is the one there. */
  delete(dma: number, only: Segment): boolean {
    const slot = this.table.find(dma);
    if (slot < 0 || this.table.object(slot) !== only) return false;
    this.table.remove(slot);
    return true;
  }

  removeAt(slot: number): void {
    this.table.remove(slot);
  }

  /** The live segments, in table order (objects made for all). */
  *values(): IterableIterator<Segment> {
    for (const s of this.table.slots()) yield this.segment(s);
  }

  /**
   * The slot of the live segment holding `addr` (a range of `len` bytes from it whole, if one does: `slotHolding`),
   * by its dma address, or -1; no object made. The one starting at `addr` holding it whole is found without a walk.
   */
  holdingSlot(addr: number, len = 1): number {
    const t = this.table;
    const exact = t.find(addr);
    const slot = exact >= 0 && t.get(exact, SIZE) >= len ? exact : slotHolding(t, addr, len, SIZE);
    // None holds even its first byte: one starting there (of no size) is still the one the address names.
    return slot >= 0 ? slot : exact;
  }

  /** The live segment `holdingSlot` finds; objects are made for it alone. */
  holding(addr: number, len = 1): Segment | undefined {
    const slot = this.holdingSlot(addr, len);
    return slot < 0 ? undefined : this.segment(slot);
  }

  /** The physical address of dma address `addr` in the segment at `slot` (no object made). */
  physIn(slot: number, addr: number): number {
    return this.table.get(slot, PHYS) + (addr - this.table.key(slot));
  }

  /** The live segment whose physical range holds `addr`, picked as `holding` picks. */
  holdingPhys(addr: number): Segment | undefined {
    const slot = slotHolding(this.table, addr, 1, SIZE, PHYS);
    return slot < 0 ? undefined : this.segment(slot);
  }

  clone(): LiveSegments {
    return new LiveSegments(this.device, this.table.clone());
  }
}
