// The IOMMU page-table mappings that `iommu:map`/`iommu:unmap` show. The events name no device, so this is one
// address space for the whole trace; an unmap may cover several maps (one per sg segment) or part of one.
import type { Origin } from './mappings';

export interface IommuMapping {
  iova: number;
  paddr: number;
  size: number;
  origin: Origin;
}

export class IommuState {
  byIova = new Map<number, IommuMapping>();
  maps = 0;
  unmaps = 0;
  peakLive = 0;

  map(iova: number, paddr: number, size: number, origin: Origin): void {
    this.byIova.set(iova, { iova, paddr, size, origin });
    this.maps++;
    if (this.byIova.size > this.peakLive) this.peakLive = this.byIova.size;
  }

  /** Removes the mappings laid end to end from `iova` within `size` bytes; returns the bytes it found mapped. */
  unmap(iova: number, size: number): number {
    this.unmaps++;
    let found = 0;
    for (let at = iova; at < iova + size; ) {
      const m = this.byIova.get(at);
      if (!m) break;
      this.byIova.delete(at);
      found += m.size;
      at += m.size;
    }
    return found;
  }

  /** The mapping whose IOVA range holds `addr`. */
  at(addr: number): IommuMapping | undefined {
    for (const m of this.byIova.values()) if (addr >= m.iova && addr < m.iova + m.size) return m;
    return undefined;
  }

  clone(): IommuState {
    const c = new IommuState();
    c.byIova = new Map(this.byIova);
    c.maps = this.maps;
    c.unmaps = this.unmaps;
    c.peakLive = this.peakLive;
    return c;
  }
}
