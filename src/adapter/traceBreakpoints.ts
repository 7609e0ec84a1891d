// Function breakpoints on a trace beyond event names: `device:NAME`, `dma:ADDR`, `dma:LO-HI`, `dma:ADDR+SIZE` and
// the same with `phys:`. An event matches when it names the device or touches the range; releases and syncs name
// only one side (an unmap its dma address, `dma_unmap_sg` its pages), so the other comes from the live mapping.
import { heldExactly, replayEvent, syncReaches, type DmaEvent, type EventStream, type HotEventSink, type TraceChecker, type TraceDirection } from '../ftrace/index';

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

/** A hex address; NaN where the trace reader would not read one (`heldExactly`: from 2^53 on). */
const number = (text: string): number => {
  const n = Number.parseInt(text.replace(/^0x/i, ''), 16);
  return heldExactly(n) ? n : NaN;
};
const WHOLE_ADDRESS = new RegExp(`^${ADDRESS}$`);

/** An address as the trace prints it (hex, with or without `0x`), or undefined for any other text or an address from 2^53 on. */
export function parseAddress(text: string): number | undefined {
  const n = WHOLE_ADDRESS.test(text) ? number(text) : NaN;
  return Number.isNaN(n) ? undefined : n;
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
  // An address no event can hold (the reader finds such lines malformed): a name no event matches.
  if (Number.isNaN(lo) || Number.isNaN(hi)) return undefined;
  return { kind: m[1] === 'phys' ? 'phys' : 'dma', lo, hi: Math.max(hi, lo + 1) };
}

/** The ranges [starts[i], starts[i] + sizes[i]) (a size of 1 where `sizes` has none), as dma or physical ranges. */
function spans(starts: readonly number[], sizes: readonly number[], sink: TouchSink, phys: boolean): void {
  for (let i = 0; i < starts.length; i++) {
    if (phys) sink.phys(starts[i], starts[i] + (sizes[i] ?? 1));
    else sink.dma(starts[i], starts[i] + (sizes[i] ?? 1));
  }
}

/** The physical side of [at, at + size) in dma space, at `phys` (none: no live segment had it). */
function physAt(phys: number | undefined, size: number, sink: TouchSink): void {
  if (phys !== undefined) sink.phys(phys, phys + size);
}

/**
 * Hands a sink the device, dma ranges and (with `wantPhys`) physical ranges that an event touches, read before
 * `checker` applies it. The physical side of an unmap or sync is looked up in the live mappings (a search for a
 * sync inside one), so a `dma:` or `device:` query goes without it. The common events come in as numbers (the
 * fast path's records, `replayRecord`), and so do the decoded ones of those kinds: one reading of each.
 */
export class TouchVisitor implements HotEventSink {
  /** The state before the event being visited. */
  private checker: TraceChecker | undefined;

  constructor(private readonly sink: TouchSink, private readonly wantPhys: boolean) {}

  /** The current event of `s`, from its numbers when the fast path read it. */
  visitCurrent(s: EventStream, checker: TraceChecker): void {
    this.checker = checker;
    if (!s.replay(this)) this.visit(s.event, checker);
  }

  /** `e`, decoded, read before `checker` applies it. */
  visit(e: DmaEvent, checker: TraceChecker): void {
    this.checker = checker;
    if (replayEvent(e, this)) return;
    const sink = this.sink;
    const device = 'device' in e ? e.device : undefined;
    if (device !== undefined) sink.device(device);
    const live = device !== undefined ? checker.deviceNamed(device) : undefined;
    switch (e.op) {
      case 'map_sg':
        spans(e.dmas, e.sizes, sink, false);
        if (this.wantPhys) spans(e.phys, e.sizes, sink, true);
        return;
      case 'sync_sg': {
        spans(e.dmas, e.sizes, sink, false);
        if (!this.wantPhys || !live) return;
        // The entries check-trace checks, each in the segment it checks it against.
        const head = live.byDma.get(e.dmas[0]);
        for (let i = 0; i < e.dmas.length; i++) if (syncReaches(e, i, head)) physAt(live.physSynced(e.dmas[i], e.sizes[i], i), e.sizes[i], sink);
        return;
      }
      case 'unmap_sg': {
        // The pages the unmap prints, sized as the map's entries where the (maybe truncated) map showed them; or the
        // dma-direct single mapping check-trace finds it releasing by the wrong function.
        const m = checker.unmappedBySg(e);
        if (m) for (const s of m.segments) sink.dma(s.dma, s.dma + s.size);
        if (this.wantPhys) spans(e.phys, e.phys.map((_, i) => m?.segments[i]?.size ?? 1), sink, true);
        return;
      }
      case 'map_sg_err':
        if (this.wantPhys) spans(e.phys, [], sink, true);
        return;
      case 'alloc':
      case 'free':
        sink.dma(e.dma, e.dma + e.size);
        return;
      case 'bounce':
        if (this.wantPhys) sink.phys(e.phys, e.phys + e.size);
        return;
    }
  }

  map(device: string, _dir: TraceDirection, dma: number, size: number, phys: number): void {
    this.sink.device(device);
    this.sink.dma(dma, dma + size);
    if (this.wantPhys) this.sink.phys(phys, phys + size);
  }

  unmap(device: string, _dir: TraceDirection, dma: number, size: number): void {
    // The segment starting there, as the unmap's check finds it.
    this.touch(device, dma, size, this.wantPhys ? this.checker!.deviceNamed(device)?.physUnmapped(dma) : undefined);
  }

  sync(device: string, _dir: TraceDirection, _forCpu: boolean, dma: number, size: number): void {
    this.touch(device, dma, size, this.wantPhys ? this.checker!.deviceNamed(device)?.physSynced(dma, size, undefined) : undefined);
  }

  iommuMap(iova: number, paddr: number, size: number): void {
    this.sink.dma(iova, iova + size);
    if (this.wantPhys) this.sink.phys(paddr, paddr + size);
  }

  iommuUnmap(iova: number, size: number): void {
    this.sink.dma(iova, iova + size);
    if (!this.wantPhys) return;
    // An unmap starts where a map did (the checker removes maps laid end to end from there).
    const live = this.checker!.iommu.byIova;
    const slot = live.slotOf(iova);
    if (slot >= 0) this.sink.phys(live.paddrAt(slot), live.paddrAt(slot) + live.sizeAt(slot));
  }

  /** An unmap or sync: it names the dma side only; the physical side (`phys`) is the live mapping's. */
  private touch(device: string, dma: number, size: number, phys: number | undefined): void {
    this.sink.device(device);
    this.sink.dma(dma, dma + size);
    physAt(phys, size, this.sink);
  }
}

/** Whether an event touches what `q` asks for; one per query, used again for each event of a scan. */
export class QueryMatch implements TouchSink {
  private hit = false;
  private readonly visitor: TouchVisitor;

  constructor(private readonly q: TraceQuery) {
    this.visitor = new TouchVisitor(this, q.kind === 'phys');
  }

  /** Whether `e`, read before `checker` applies it, matches. */
  test(e: DmaEvent, checker: TraceChecker): boolean {
    this.hit = false;
    this.visitor.visit(e, checker);
    return this.hit;
  }

  /** Whether the current event of `s`, read before `checker` applies it, matches. */
  testCurrent(s: EventStream, checker: TraceChecker): boolean {
    this.hit = false;
    this.visitor.visitCurrent(s, checker);
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
