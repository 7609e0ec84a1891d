// The links between a map (or allocation) and the events that sync and release it, for go to definition and find
// references in a capture. The capture is read through the checker, and an event's address is looked up in the
// state just before it, as the checks look it up.
import { TraceChecker } from './checker';
import { decodeEvent, type DmaEvent } from './events';
import type { TraceCursor } from './reader';
import type { TraceRecord } from './record';

/** The line that mapped or allocated what `e` syncs or releases, as `checker` holds it before `e`; undefined for other events. */
function originOf(checker: TraceChecker, e: DmaEvent): number | undefined {
  if (e.op === 'iommu_unmap') return checker.iommu.byIova.get(e.iova)?.origin.line;
  if (!('device' in e)) return undefined;
  const d = checker.deviceNamed(e.device);
  switch (e.op) {
    case 'unmap':
      // As the checker finds an unmap's mapping: at its very address (a sync may fall inside one).
      return (d?.byDma.get(e.dma)?.mapping ?? d?.dropped.get(e.dma))?.origin.line;
    case 'sync':
      return d?.segmentAt(e.dma)?.mapping.origin.line;
    case 'sync_sg':
      return d?.segmentAt(e.dmas[0])?.mapping.origin.line;
    case 'unmap_sg':
      return d?.sgByPhys.get(e.phys[0])?.[0]?.origin.line;
    case 'free':
      return d?.coherent.get(e.dma)?.origin.line;
  }
  return undefined;
}

/** Events that end what they release: after one, its map has no more references. */
const ENDS = new Set<DmaEvent['op']>(['unmap', 'unmap_sg', 'free', 'iommu_unmap']);

/** Reads `cursor` (which it closes) through a checker, handing `visit` each record with the state before it; stops when `visit` says so. */
function walk(cursor: TraceCursor, visit: (r: TraceRecord, checker: TraceChecker) => boolean): void {
  const checker = new TraceChecker(() => undefined);
  try {
    for (let r = cursor.next(); r && visit(r, checker); r = cursor.next()) checker.apply(r);
  } finally {
    cursor.close();
  }
}

/**
 * The line where what the event at `line` unmaps, syncs or frees was mapped or allocated; undefined for any other
 * event, and when the trace does not show that map (made before it began).
 */
export function mappedAt(cursor: TraceCursor, line: number): number | undefined {
  let found: number | undefined;
  walk(cursor, (r, checker) => {
    if (r.line === line && r.kind === 'event') found = originOf(checker, decodeEvent(r));
    return r.line < line;
  });
  return found;
}

/** The lines after `line` whose events sync, unmap or free what the event at `line` mapped or allocated, up to its release. */
export function releasesOf(cursor: TraceCursor, line: number): number[] {
  const found: number[] = [];
  walk(cursor, (r, checker) => {
    if (r.line <= line || r.kind !== 'event') return true;
    const e = decodeEvent(r);
    if (originOf(checker, e) !== line) return true;
    found.push(r.line);
    return !ENDS.has(e.op);
  });
  return found;
}
