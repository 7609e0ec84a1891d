// Per page of a trace's events, a small filter of what they touch, filled on the first pass: the dma and the
// physical address granules (a bit each, shared modulo the filter's size) and the devices named. An address or
// device breakpoint then re-reads only the pages whose filter lets its query through; a bit set by another
// address costs a page read, never a missed event.
import type { EventStream, TraceChecker } from '../ftrace/index';
import { NameIds } from './nameIds';
import { TouchVisitor, type TouchSink, type TraceQuery } from './traceBreakpoints';
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
  // Not `>=`: a range whose ends are not finite (NaN) sets every bit too.
  if (!(last - first < BITS)) {
    f.fill(~0, base, base + WORDS);
    return;
  }
  // Counted by bits, not by granule: past 2^53, `g++` would not move a granule number on.
  for (let k = 0, bit = first % BITS; k <= last - first; k++, bit = bit + 1 === BITS ? 0 : bit + 1) f[base + (bit >>> 5)] |= 1 << (bit & 31);
}

export class TouchIndex implements TouchSink {
  /** Per page: WORDS words of dma bits, then WORDS of physical bits. */
  private readonly filters: Uint32Array[] = [];
  private readonly devicesOf: number[] = [];
  private readonly deviceIds = new NameIds();
  /** The page `add` is filling, and its filter. */
  private page = 0;
  private filter: Uint32Array = new Uint32Array(0);

  private readonly visitor = new TouchVisitor(this, true);

  /** Step `step`'s event is the current one of `s`, about to be applied to `checker` (an unmap's other side is looked up there). */
  add(step: number, s: EventStream, checker: TraceChecker): void {
    const p = Math.floor(step / PAGE_STEPS);
    while (this.filters.length <= p) {
      this.filters.push(new Uint32Array(2 * WORDS));
      this.devicesOf.push(0);
    }
    this.page = p;
    this.filter = this.filters[p];
    this.visitor.visitCurrent(s, checker);
  }

  device(name: string): void {
    this.devicesOf[this.page] |= 1 << this.deviceBit(name);
  }

  dma(lo: number, hi: number): void {
    setRange(this.filter, 0, lo, hi);
  }

  phys(lo: number, hi: number): void {
    setRange(this.filter, WORDS, lo, hi);
  }

  private deviceBit(name: string): number {
    // Past DEVICE_BITS devices, the rest share the last bit: a query for one of them reads their pages.
    return Math.min(this.deviceIds.idOf(name), DEVICE_BITS);
  }


  /** Pages (ascending) that may hold an event matching `q`. */
  pagesFor(q: TraceQuery): number[] {
    const out: number[] = [];
    if (q.kind === 'device') {
      const found = this.deviceIds.find(q.name);
      if (found === undefined) return out;
      const id = Math.min(found, DEVICE_BITS);
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
