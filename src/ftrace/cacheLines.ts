// Live device-writable segments by the cache line of their first byte, as dma-debug's active cacheline tree tracks
// them (kernel/dma/debug.c): the first segment mapped there holds the line; one mapped there while it is held
// overlaps it, and the line stays held until the last of them is removed (dma-debug counts the overlaps).
// A live segment is named by its device's index and its dma address (a device has one live segment per address),
// so that a single mapping kept as numbers can hold a line without an object.
import { AddressTable } from './addressTable';

/** A live segment as a line names it. */
export interface LineHolder {
  device: number;
  dma: number;
}

const DEVICE = 0, DMA = 1, WIDTH = 2;

export class CacheLines {
  constructor(
    private readonly holders = new AddressTable(WIDTH),
    /** The segments that overlap a held line, by line: rare, so a Map of small arrays. */
    private readonly overlaps = new Map<number, LineHolder[]>(),
  ) {}

  /** The segment holding line `cln`, if any. */
  holder(cln: number): LineHolder | undefined {
    const slot = this.holders.find(cln);
    return slot < 0 ? undefined : { device: this.holders.get(slot, DEVICE), dma: this.holders.get(slot, DMA) };
  }

  /** Whether any segment holds line `cln` (no object made). */
  held(cln: number): boolean {
    return this.holders.find(cln) >= 0;
  }

  /** Adds the segment at `dma` of device `device` at line `cln`: it holds the line if it was free, or overlaps its holder. */
  add(cln: number, device: number, dma: number): void {
    if (!this.held(cln)) return this.hold(cln, device, dma);
    const list = this.overlaps.get(cln);
    if (list) list.push({ device, dma });
    else this.overlaps.set(cln, [{ device, dma }]);
  }

  /** Removes that segment from line `cln`: an overlapping segment takes over a line whose holder goes. */
  remove(cln: number, device: number, dma: number): void {
    const slot = this.holders.find(cln);
    const holds = slot >= 0 && this.holders.get(slot, DEVICE) === device && this.holders.get(slot, DMA) === dma;
    if (this.overlaps.size === 0) {
      if (holds) this.holders.remove(slot);
      return;
    }
    const list = this.overlaps.get(cln);
    if (holds) {
      if (!list) return this.holders.remove(slot);
      const next = list.shift()!;
      this.hold(cln, next.device, next.dma);
    } else {
      const i = list ? list.findIndex((h) => h.device === device && h.dma === dma) : -1;
      if (i < 0) return;
      list!.splice(i, 1);
    }
    if (list && list.length === 0) this.overlaps.delete(cln);
  }

  clone(): CacheLines {
    return new CacheLines(this.holders.clone(), new Map([...this.overlaps].map(([k, v]) => [k, [...v]])));
  }

  private hold(cln: number, device: number, dma: number): void {
    const slot = this.holders.claim(cln);
    this.holders.put(slot, DEVICE, device);
    this.holders.put(slot, DMA, dma);
  }
}
