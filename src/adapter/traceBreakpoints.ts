// Function breakpoints on a trace beyond event names: `device:NAME`, `dma:ADDR`, `dma:LO-HI`, `dma:ADDR+SIZE` and
// the same with `phys:`. An event matches when it names the device or touches the range; releases and syncs name
// only one side (an unmap its dma address, `dma_unmap_sg` its pages), so the other comes from the live mapping.
import type { DeviceState, DmaEvent, TraceChecker } from '../ftrace/index';

export type TraceQuery = { kind: 'device'; name: string } | { kind: 'dma' | 'phys'; lo: number; hi: number };

/**
 * Takes what an event touches, one part at a time: the first pass sets a page's filter bits straight from them, a
 * query tests them, and neither makes an array per event.
 */
export interface TouchSink {
  device(name: string): void;
  dma(lo: number, hi: number): void;
  phys(lo: number, hi: number): void;
}

const ADDRESS = '(?:0x)?[0-9a-fA-F]+';
const QUERY = new RegExp(`^(dma|iova|phys):\\s*(${ADDRESS})(?:\\s*(-|\\+)\\s*(${ADDRESS}))?$`);

const number = (text: string): number => Number.parseInt(text.replace(/^0x/i, ''), 16);
const WHOLE_ADDRESS = new RegExp(`^${ADDRESS}$`);

/** An address as the trace prints it (hex, with or without `0x`), or undefined for any other text. */
export function parseAddress(text: string): number | undefined {
  return WHOLE_ADDRESS.test(text) ? number(text) : undefined;
}

/** The query a function breakpoint's name spells, or undefined for an event name (or glob). */
export function parseTraceQuery(name: string): TraceQuery | undefined {
  const device = /^(?:device|dev):\s*(.+)$/.exec(name);
  if (device) return { kind: 'device', name: device[1].trim() };
  const m = QUERY.exec(name);
  if (!m) return undefined;
  const lo = number(m[2]);
  // `LO-HI` is inclusive of HI's byte; `ADDR+SIZE` counts in hex like every address of the trace.
  const hi = m[3] === '-' ? number(m[4]) + 1 : m[3] === '+' ? lo + number(m[4]) : lo + 1;
  return { kind: m[1] === 'phys' ? 'phys' : 'dma', lo, hi: Math.max(hi, lo + 1) };
}

/** The ranges [starts[i], starts[i] + sizes[i]) (a size of 1 where `sizes` has none), as dma or physical ranges. */
function spans(starts: readonly number[], sizes: readonly number[], sink: TouchSink, phys: boolean): void {
  for (let i = 0; i < starts.length; i++) {
    if (phys) sink.phys(starts[i], starts[i] + (sizes[i] ?? 1));
    else sink.dma(starts[i], starts[i] + (sizes[i] ?? 1));
  }
}

/** The physical side of [at, at + size) in dma space, from the live segment holding `at`. */
function physOf(live: DeviceState | undefined, at: number, size: number, sink: TouchSink): void {
  const s = live?.segmentAt(at);
  if (s) sink.phys(s.phys + (at - s.dma), s.phys + (at - s.dma) + size);
}

/**
 * Hands `sink` the device, dma ranges and (with `wantPhys`) physical ranges that an event touches, read before
 * `checker` applies it. The physical side of an unmap or sync is looked up in the live mappings (a search for a
 * sync inside one), so a `dma:` or `device:` query goes without it.
 */
export function visitTouches(e: DmaEvent, checker: TraceChecker, sink: TouchSink, wantPhys: boolean): void {
  const device = 'device' in e ? e.device : undefined;
  if (device !== undefined) sink.device(device);
  const live = device !== undefined ? checker.deviceNamed(device) : undefined;
  switch (e.op) {
    case 'map':
      sink.dma(e.dma, e.dma + e.size);
      if (wantPhys) sink.phys(e.phys, e.phys + e.size);
      return;
    case 'unmap':
    case 'sync':
      sink.dma(e.dma, e.dma + e.size);
      if (wantPhys) physOf(live, e.dma, e.size, sink);
      return;
    case 'map_sg':
      spans(e.dmas, e.sizes, sink, false);
      if (wantPhys) spans(e.phys, e.sizes, sink, true);
      return;
    case 'sync_sg':
      spans(e.dmas, e.sizes, sink, false);
      if (wantPhys) e.dmas.forEach((d, i) => physOf(live, d, e.sizes[i], sink));
      return;
    case 'unmap_sg': {
      // The pages the unmap prints, sized as the map's entries where the (maybe truncated) map showed them.
      const m = live?.sgByPhys.get(e.phys[0])?.[0];
      if (m) for (const s of m.segments) sink.dma(s.dma, s.dma + s.size);
      if (wantPhys) spans(e.phys, e.phys.map((_, i) => m?.segments[i]?.size ?? 1), sink, true);
      return;
    }
    case 'map_sg_err':
      if (wantPhys) spans(e.phys, [], sink, true);
      return;
    case 'alloc':
    case 'free':
      sink.dma(e.dma, e.dma + e.size);
      return;
    case 'bounce':
      if (wantPhys) sink.phys(e.phys, e.phys + e.size);
      return;
    case 'iommu_map':
      sink.dma(e.iova, e.iova + e.size);
      if (wantPhys) sink.phys(e.paddr, e.paddr + e.size);
      return;
    case 'iommu_unmap': {
      sink.dma(e.iova, e.iova + e.size);
      // An unmap starts where a map did (the checker removes maps laid end to end from there).
      const live = checker.iommu.byIova;
      const slot = wantPhys ? live.slotOf(e.iova) : -1;
      if (slot >= 0) sink.phys(live.paddrAt(slot), live.paddrAt(slot) + live.sizeAt(slot));
      return;
    }
  }
}

/** Whether an event touches what `q` asks for; one per query, used again for each event of a scan. */
class QueryMatch implements TouchSink {
  hit = false;
  constructor(private readonly q: TraceQuery) {}

  test(e: DmaEvent, checker: TraceChecker): boolean {
    this.hit = false;
    visitTouches(e, checker, this, this.q.kind === 'phys');
    return this.hit;
  }

  device(name: string): void {
    if (this.q.kind === 'device' && name === this.q.name) this.hit = true;
  }

  dma(lo: number, hi: number): void {
    if (this.q.kind === 'dma' && lo < this.q.hi && this.q.lo < hi) this.hit = true;
  }

  phys(lo: number, hi: number): void {
    if (this.q.kind === 'phys' && lo < this.q.hi && this.q.lo < hi) this.hit = true;
  }
}

/** The test of whether an event, read before `checker` applies it, matches `q`. */
export function matcherOf(q: TraceQuery): (e: DmaEvent, checker: TraceChecker) => boolean {
  const m = new QueryMatch(q);
  return (e, checker) => m.test(e, checker);
}
