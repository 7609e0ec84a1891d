// Live device-writable segments by the cache line of their first byte, as dma-debug's active cacheline tree tracks
// them (kernel/dma/debug.c): the first segment mapped there holds the line; one mapped there while it is held
// overlaps it, and the line stays held until the last of them is removed (dma-debug counts the overlaps).
import { AddressMap } from './addressTable';
import type { Segment } from './mappings';

export class CacheLines {
  constructor(
    private readonly holders = new AddressMap<Segment>(),
    /** The segments that overlap a held line, by line: rare, so a Map of small arrays. */
    private readonly overlaps = new Map<number, Segment[]>(),
  ) {}

  /** The segment holding line `cln`, if any. */
  holder(cln: number): Segment | undefined {
    return this.holders.get(cln);
  }

  /** Adds `s` at line `cln`: it holds the line if it was free, or overlaps its holder (`holder`, when the caller has it). */
  add(cln: number, s: Segment, holder = this.holder(cln)): void {
    if (holder === undefined) return this.holders.set(cln, s);
    const list = this.overlaps.get(cln);
    if (list) list.push(s);
    else this.overlaps.set(cln, [s]);
  }

  /** Removes `s` from line `cln`: an overlapping segment takes over a line whose holder goes. */
  remove(cln: number, s: Segment): void {
    if (this.overlaps.size === 0) return void this.holders.delete(cln, s);
    const list = this.overlaps.get(cln);
    if (this.holders.get(cln) === s) {
      if (!list) return void this.holders.delete(cln);
      this.holders.set(cln, list.shift()!);
    } else {
      const i = list ? list.indexOf(s) : -1;
      if (i < 0) return;
      list!.splice(i, 1);
    }
    if (list && list.length === 0) this.overlaps.delete(cln);
  }

  clone(): CacheLines {
    return new CacheLines(this.holders.clone(), new Map([...this.overlaps].map(([k, v]) => [k, [...v]])));
  }
}
