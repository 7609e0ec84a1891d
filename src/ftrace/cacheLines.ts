// Live device-writable segments by the cache line of their first byte, as dma-debug's active cacheline tree tracks
// them (kernel/dma/debug.c): the first segment mapped there holds the line; one mapped there while it is held
// overlaps it, and the line stays held until the last of them is removed (dma-debug counts the overlaps).
// A live segment is named by its device's index, its dma address and its entry's index in its list (a device has
// one live mapping per dma address, but an sg list may repeat one), so that a single mapping kept as numbers can
// hold a line without an object.
import { AddressTable } from './addressTable';

/** A live segment as a line names it. */
export interface LineHolder {
  device: number;
  dma: number;
  index: number;
}

const DEVICE = 0, DMA = 1, INDEX = 2, WIDTH = 3;

export class CacheLines {
  constructor(
    private readonly holders = new AddressTable(WIDTH),
    /** The segments that overlap a held line, by line: rare, so a Map of small arrays. */
    private readonly overlaps = new Map<number, LineHolder[]>(),
  ) {}

  /** The segment holding line `cln`, if any. */
  holder(cln: number): LineHolder | undefined {
    const slot = this.holders.find(cln);
    return slot < 0 ? undefined : { device: this.holders.get(slot, DEVICE), dma: this.holders.get(slot, DMA), index: this.holders.get(slot, INDEX) };
  }

  /** Whether any segment holds line `cln` (no object made). */
  held(cln: number): boolean {
    return this.holders.find(cln) >= 0;
  }

  /**
   * Adds entry `index` at `dma` of device `device` at line `cln`: it holds the line if it was free, or overlaps its
   * holder. (Numbers, not a LineHolder: once per map, and an object each was garbage.)
   */
  add(cln: number, device: number, dma: number, index: number): void {
    if (!this.held(cln)) return this.hold(cln, device, dma, index);
    const list = this.overlaps.get(cln);
    if (list) list.push({ device, dma, index });
    else this.overlaps.set(cln, [{ device, dma, index }]);
  }

  /** Removes that entry from line `cln`: an overlapping segment takes over a line whose holder goes. */
  remove(cln: number, device: number, dma: number, index: number): void {
    const slot = this.holders.find(cln);
    const holds = slot >= 0 && this.holders.get(slot, DEVICE) === device && this.holders.get(slot, DMA) === dma && this.holders.get(slot, INDEX) === index;
    if (this.overlaps.size === 0) {
      if (holds) this.holders.remove(slot);
      return;
    }
    const list = this.overlaps.get(cln);
    if (holds) {
      if (!list) return this.holders.remove(slot);
      const next = list.shift()!;
      this.hold(cln, next.device, next.dma, next.index);
    } else {
      const i = list ? list.findIndex((h) => h.device === device && h.dma === dma && h.index === index) : -1;
      if (i < 0) return;
      list!.splice(i, 1);
    }
    if (list && list.length === 0) this.overlaps.delete(cln);
  }

  clone(): CacheLines {
    return new CacheLines(this.holders.clone(), new Map([...this.overlaps].map(([k, v]) => [k, [...v]])));
  }

  private hold(cln: number, device: number, dma: number, index: number): void {
    const slot = this.holders.claim(cln);
    this.holders.put(slot, DEVICE, device);
    this.holders.put(slot, DMA, dma);
    this.holders.put(slot, INDEX, index);
  }
}
