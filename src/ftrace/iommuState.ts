// The IOMMU page-table mappings that `iommu:map`/`iommu:unmap` show. The events name no device, so this is one
// address space for the whole trace; an unmap may cover several maps (one per sg segment) or part of one.
import { AddressTable, slotHolding } from './addressTable';
import { ORIGIN_FIELDS, originAt, putOrigin, type Origin } from './mappings';

export interface IommuMapping {
  iova: number;
  paddr: number;
  size: number;
  origin: Origin;
}

// The fields of an entry: a busy capture maps and unmaps IOVAs by the hundred thousand, so they are numbers in a
// table, and a mapping object is made only for whoever asks for one.
const PADDR = 0, SIZE = 1, ORIGIN = 2, WIDTH = ORIGIN + ORIGIN_FIELDS;

/** The live IOMMU mappings by IOVA, read as a map of mapping objects. */
export class IommuMappings {
  constructor(readonly table = new AddressTable(WIDTH)) {}

  get size(): number {
    return this.table.size;
  }

  get(iova: number): IommuMapping | undefined {
    const slot = this.table.find(iova);
    return slot < 0 ? undefined : this.mappingAt(slot);
  }

  /** The slot of the mapping at `iova` (-1: none) until the next change: `paddrAt` and `sizeAt` read it, no object made. */
  slotOf(iova: number): number {
    return this.table.find(iova);
  }

  paddrAt(slot: number): number {
    return this.table.get(slot, PADDR);
  }

  sizeAt(slot: number): number {
    return this.table.get(slot, SIZE);
  }

  /** The mapping whose IOVA range holds `addr` (the one starting nearest below it, if several do). */
  holding(addr: number): IommuMapping | undefined {
    const slot = slotHolding(this.table, addr, 1, SIZE);
    return slot < 0 ? undefined : this.mappingAt(slot);
  }

  /** The mappings by ascending IOVA. */
  values(): IommuMapping[] {
    return [...this.table.slots()].map((s) => this.mappingAt(s)).sort((a, b) => a.iova - b.iova);
  }

  private mappingAt(slot: number): IommuMapping {
    const t = this.table;
    return { iova: t.key(slot), paddr: t.get(slot, PADDR), size: t.get(slot, SIZE), origin: originAt(t, slot, ORIGIN) };
  }
}

export class IommuState {
  byIova = new IommuMappings();
  maps = 0;
  unmaps = 0;
  peakLive = 0;

  /** Maps `size` bytes at `iova`; keeps the numbers of `origin`, not the object. */
  map(iova: number, paddr: number, size: number, origin: Origin): void {
    const t = this.byIova.table;
    const slot = t.claim(iova);
    t.put(slot, PADDR, paddr);
    t.put(slot, SIZE, size);
    putOrigin(t, slot, ORIGIN, origin);
    this.maps++;
    if (t.size > this.peakLive) this.peakLive = t.size;
  }

  /** Removes the mappings laid end to end from `iova` within `size` bytes; returns the bytes it found mapped. */
  unmap(iova: number, size: number): number {
    this.unmaps++;
    const t = this.byIova.table;
    let found = 0;
    for (let at = iova; at < iova + size; ) {
      const slot = t.find(at);
      if (slot < 0) break;
      const mapped = t.get(slot, SIZE);
      t.remove(slot);
      found += mapped;
      at += mapped;
    }
    return found;
  }

  /** The mapping whose IOVA range holds `addr` (one object made, for it). */
  at(addr: number): IommuMapping | undefined {
    return this.byIova.holding(addr);
  }

  clone(): IommuState {
    const c = new IommuState();
    c.byIova = new IommuMappings(this.byIova.table.clone());
    c.maps = this.maps;
    c.unmaps = this.unmaps;
    c.peakLive = this.peakLive;
    return c;
  }
}
