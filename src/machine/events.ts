// What the machine records while a statement runs, as plain JSON-serialisable objects, and one readable
// line for each (`describeEvent`). `call`/`return` bracket the kernel's internal steps for step-into.

import type { HazardKind } from './hazards';

export type LineState = 'I' | 'C' | 'D';
export type LineCause = 'fill' | 'write' | 'prefetch' | 'speculative' | 'evict' | 'clean' | 'invalidate' | 'snoop';

export type MachineEvent =
  | { type: 'call'; fn: string; detail?: string }
  | { type: 'return' }
  | { type: 'alloc'; buffer: number; kind: string; size: number; segments: { phys: number; len: number }[] }
  | { type: 'free'; buffer: number; kind: string }
  | { type: 'owner'; buffer: number; off: number; len: number; from: string; to: string }
  | { type: 'line'; set: number; way: number; phys: number; from: LineState; to: LineState; cause: LineCause }
  /** Many line changes of one operation, summarised. */
  /** `count` lines within [phys, +len) changed to `to`; `scattered`: they fill less than half of it. */
  | { type: 'lines'; phys: number; len: number; count: number; to: LineState; cause: LineCause; scattered?: true }
  | { type: 'writeback'; phys: number; len: number }
  | { type: 'clean'; phys: number; len: number; lines: number }
  | { type: 'invalidate'; phys: number; len: number; lines: number }
  | { type: 'bounce'; dir: 'to-slot' | 'from-slot'; orig: number; slot: number; len: number }
  | { type: 'sg'; mapping: number; device: string; entries: SgEventEntry[]; nents: number; orig_nents: number }
  | { type: 'iommu-map' | 'iommu-unmap'; device: string; iova: number; len: number }
  | { type: 'dma'; device: string; access: 'read' | 'write'; phys: number; len: number; snoop: boolean }
  | { type: 'map' | 'unmap'; mapping: number; device: string; dir: string; kind: 'single' | 'sg'; size: number }
  | { type: 'hazard'; kind: HazardKind; message: string };

export interface SgEventEntry {
  phys: number;
  length: number;
  dma_address: number;
  dma_length: number;
}

export const hex = (n: number): string => '0x' + n.toString(16);

/**
 * Whether `e` changes who owns bytes: a hand-off, an allocation (its bytes become the CPU's; a failed one has none)
 * or a free (they become no one's).
 */
export function changesOwner(e: MachineEvent): boolean {
  return e.type === 'owner' || e.type === 'free' || (e.type === 'alloc' && e.segments.length > 0);
}

const STATE_NAME: Record<LineState, string> = { I: 'Invalid', C: 'Clean', D: 'Dirty' };

/** How event text names the buffers and mappings events carry by id. */
export interface EventLabels {
  buffer(id: number): string;
  mapping(id: number): string;
}

const BY_ID: EventLabels = { buffer: (id) => `#${id}`, mapping: (id) => `#${id}` };

/**
 * One readable line per event, for the CLI `run` output and the debugger's event list. `labels` names buffers and
 * mappings (`eventLabels` in buffers.ts: by binding, once the statement has run); by default `#ID`.
 */
export function describeEvent(e: MachineEvent, labels: EventLabels = BY_ID): string {
  switch (e.type) {
    case 'call':
      return `-> ${e.fn}${e.detail ? ` (${e.detail})` : ''}`;
    case 'return':
      return '<-';
    case 'alloc':
      return `alloc ${e.kind} ${labels.buffer(e.buffer)}: ${e.size} bytes in ${e.segments.length} segment(s) from ${hex(e.segments[0]?.phys ?? 0)}`;
    case 'free':
      return `free ${e.kind} ${labels.buffer(e.buffer)}`;
    case 'owner':
      return `owner of ${labels.buffer(e.buffer)} [${hex(e.off)}, +${hex(e.len)}): ${e.from} -> ${e.to}`;
    case 'line':
      return `cache set ${e.set} way ${e.way} line ${hex(e.phys)}: ${STATE_NAME[e.from]} -> ${STATE_NAME[e.to]} (${e.cause})`;
    case 'lines':
      // Lines of a copy's two ends, or of scattered pages, lie far apart: their span is a bound, not a range. A count
      // of changes, as the line events are: a line may change twice in one statement (filled, then evicted).
      return `cache: ${e.count} more line change${e.count === 1 ? '' : 's'} ${e.scattered ? `scattered over [${hex(e.phys)}, ${hex(e.phys + e.len)})` : `in [${hex(e.phys)}, +${hex(e.len)})`} -> ${STATE_NAME[e.to]} (${e.cause})`;
    case 'writeback':
      return `write-back ${hex(e.len)} bytes to ${hex(e.phys)}`;
    case 'clean':
      return `clean [${hex(e.phys)}, +${hex(e.len)}): ${e.lines} dirty line(s) written back`;
    case 'invalidate':
      return `invalidate [${hex(e.phys)}, +${hex(e.len)}): ${e.lines} line(s) dropped`;
    case 'bounce':
      return e.dir === 'to-slot'
        ? `bounce copy ${hex(e.len)} bytes original ${hex(e.orig)} -> slot ${hex(e.slot)}`
        : `bounce copy ${hex(e.len)} bytes slot ${hex(e.slot)} -> original ${hex(e.orig)}`;
    case 'sg':
      return `sg table ${labels.mapping(e.mapping)} for ${e.device}: nents=${e.nents} orig_nents=${e.orig_nents} ` +
        e.entries.map((s) => `[${hex(s.phys)}+${hex(s.length)} @${hex(s.dma_address)}+${hex(s.dma_length)}]`).join(' ');
    case 'iommu-map':
    case 'iommu-unmap':
      return `${e.type} ${e.device}: iova ${hex(e.iova)} +${hex(e.len)}`;
    case 'dma':
      return `${e.device} DMA ${e.access} ${hex(e.len)} bytes at ${hex(e.phys)}${e.snoop ? ' (snooping the cache)' : ''}`;
    case 'map':
    case 'unmap':
      return `${e.type} ${e.kind} ${labels.mapping(e.mapping)} for ${e.device} ${e.dir}, ${e.size} bytes`;
    case 'hazard':
      return `HAZARD ${e.kind}: ${e.message}`;
  }
}
