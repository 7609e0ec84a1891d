// Function breakpoints on a trace beyond event names: `device:NAME`, `dma:ADDR`, `dma:LO-HI`, `dma:ADDR+SIZE` and
// the same with `phys:`. An event matches when it names the device or touches the range; releases and syncs name
// only one side (an unmap its dma address, `dma_unmap_sg` its pages), so the other comes from the live mapping.
import type { DmaEvent, TraceChecker } from '../ftrace/index';

export type TraceQuery = { kind: 'device'; name: string } | { kind: 'dma' | 'phys'; lo: number; hi: number };

type Range = [number, number];

/** What an event touches: its device, its dma ranges, and (looked up only when asked) its physical ranges. */
export interface Touches {
  device?: string;
  dma: Range[];
  phys: () => Range[];
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

function spans(starts: readonly number[], sizes: readonly number[]): Range[] {
  return starts.map((s, i) => [s, s + (sizes[i] ?? 1)]);
}

/**
 * The device, dma and physical ranges an event touches, read before `checker` applies it. The physical side of an
 * unmap or sync is looked up (a search of the live mappings for a sync inside one) only for a `phys:` query.
 */
export function touches(e: DmaEvent, checker: TraceChecker): Touches {
  const device = 'device' in e ? e.device : undefined;
  const live = device !== undefined ? checker.devices.get(device) : undefined;
  const physOf = (dma: number, size: number): Range[] => {
    const s = live?.segmentAt(dma);
    return s ? [[s.phys + (dma - s.dma), s.phys + (dma - s.dma) + size]] : [];
  };
  const known = (ranges: Range[]) => () => ranges;
  switch (e.op) {
    case 'map':
      return { device, dma: [[e.dma, e.dma + e.size]], phys: known([[e.phys, e.phys + e.size]]) };
    case 'unmap':
    case 'sync':
      return { device, dma: [[e.dma, e.dma + e.size]], phys: () => physOf(e.dma, e.size) };
    case 'map_sg':
      return { device, dma: spans(e.dmas, e.sizes), phys: known(spans(e.phys, e.sizes)) };
    case 'sync_sg':
      return { device, dma: spans(e.dmas, e.sizes), phys: () => e.dmas.flatMap((d, i) => physOf(d, e.sizes[i])) };
    case 'unmap_sg': {
      // The pages the unmap prints, sized as the map's entries where the (maybe truncated) map showed them.
      const m = live?.sgByPhys.get(e.phys[0])?.[0];
      const sizes = e.phys.map((_, i) => m?.segments[i]?.size ?? 1);
      return { device, dma: m ? m.segments.map((s) => [s.dma, s.dma + s.size]) : [], phys: known(spans(e.phys, sizes)) };
    }
    case 'map_sg_err':
      return { device, dma: [], phys: known(spans(e.phys, [])) };
    case 'alloc':
    case 'free':
      return { device, dma: [[e.dma, e.dma + e.size]], phys: known([]) };
    case 'bounce':
      return { device, dma: [], phys: known([[e.phys, e.phys + e.size]]) };
    case 'iommu_map':
      return { dma: [[e.iova, e.iova + e.size]], phys: known([[e.paddr, e.paddr + e.size]]) };
    case 'iommu_unmap': {
      // An unmap starts where a map did (the checker removes maps laid end to end from there).
      const m = checker.iommu.byIova.get(e.iova);
      return { dma: [[e.iova, e.iova + e.size]], phys: known(m ? [[m.paddr, m.paddr + m.size]] : []) };
    }
    default:
      return { device, dma: [], phys: known([]) };
  }
}

export function matches(q: TraceQuery, t: Touches): boolean {
  if (q.kind === 'device') return t.device === q.name;
  return (q.kind === 'dma' ? t.dma : t.phys()).some(([lo, hi]) => lo < q.hi && q.lo < hi);
}
