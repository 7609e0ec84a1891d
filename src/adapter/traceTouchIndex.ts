// Per page of a trace's events, a small filter of what they touch, filled on the first pass: the dma and the
// physical address granules (a bit each, shared modulo the filter's size) and the devices named. An address or
// device breakpoint then re-reads only the pages whose filter lets its query through; a bit set by another
// address costs a page read, never a missed event.
import type { TraceQuery, Touches } from './traceBreakpoints';
import { PAGE_STEPS } from './traceColumns';

/** Bytes per granule: a buffer of a few pages touches one or two. */
const GRANULE = 64 * 1024;
/** Bits per side and page (a prime, so that strided addresses spread over them). */
const BITS = 1021;
const WORDS = Math.ceil(BITS / 32);
/** Devices with a bit of their own; later ones share the last bit. */
const DEVICE_BITS = 31;

/** Sets the bits of [lo, hi) in the WORDS words of `f` from `base` (the first pass's path: no array made). */
function setRange(f: Uint32Array, base: number, lo: number, hi: number): void {
  const first = Math.floor(lo / GRANULE);
  const last = Math.floor((Math.max(hi, lo + 1) - 1) / GRANULE);
  if (last - first >= BITS) {
    f.fill(~0, base, base + WORDS);
    return;
  }
  for (let g = first; g <= last; g++) {
    const bit = g % BITS;
    f[base + (bit >>> 5)] |= 1 << (bit & 31);
  }
}

export class TouchIndex {
  /** Per page: WORDS words of dma bits, then WORDS of physical bits. */
  private readonly filters: Uint32Array[] = [];
  private readonly devicesOf: number[] = [];
  private readonly deviceIds = new Map<string, number>();

  /** Step `step`'s event touched `t` (computed before the checker applied it). */
  add(step: number, t: Touches): void {
    const p = Math.floor(step / PAGE_STEPS);
    while (this.filters.length <= p) {
      this.filters.push(new Uint32Array(2 * WORDS));
      this.devicesOf.push(0);
    }
    const f = this.filters[p];
    for (const [lo, hi] of t.dma) setRange(f, 0, lo, hi);
    for (const [lo, hi] of t.phys()) setRange(f, WORDS, lo, hi);
    if (t.device !== undefined) this.devicesOf[p] |= 1 << this.deviceBit(t.device);
  }

  private deviceBit(name: string): number {
    let id = this.deviceIds.get(name);
    if (id === undefined) {
      id = Math.min(this.deviceIds.size, DEVICE_BITS);
      this.deviceIds.set(name, id);
    }
    return id;
  }

  /** Pages (ascending) that may hold an event matching `q`. */
  pagesFor(q: TraceQuery): number[] {
    const out: number[] = [];
    if (q.kind === 'device') {
      const id = this.deviceIds.get(q.name);
      if (id === undefined) return out;
      this.devicesOf.forEach((mask, p) => mask & (1 << id) && out.push(p));
      return out;
    }
    // The query's own filter, set as the first pass sets a page's: a page may match where the two share a bit.
    const base = q.kind === 'dma' ? 0 : WORDS;
    const want = new Uint32Array(2 * WORDS);
    setRange(want, base, q.lo, q.hi);
    this.filters.forEach((f, p) => {
      for (let w = base; w < base + WORDS; w++) {
        if ((f[w] & want[w]) !== 0) {
          out.push(p);
          return;
        }
      }
    });
    return out;
  }

  bytes(): number {
    return this.filters.length * (2 * WORDS * 4 + 8);
  }
}
