// Where the mapping or allocation that an event releases or syncs was made: the line of its map (or allocation), for a
// go to definition in a capture. The capture is read up to the event through the checker, and the event's address
// is looked up in the state just before it, as the checks look it up.
import { TraceChecker } from './checker';
import { decodeEvent } from './events';
import type { TraceCursor } from './reader';

/**
 * The line where what the event at `line` unmaps, syncs or frees was mapped or allocated (closes `cursor`); undefined
 * for any other event, and when the trace does not show that map (made before it began).
 */
export function mappedAt(cursor: TraceCursor, line: number): number | undefined {
  const checker = new TraceChecker(() => undefined);
  try {
    for (let r = cursor.next(); r && r.line <= line; r = cursor.next()) {
      if (r.line < line) {
        checker.apply(r);
        continue;
      }
      if (r.kind !== 'event') return undefined;
      const e = decodeEvent(r);
      if (e.op === 'iommu_unmap') return checker.iommu.byIova.get(e.iova)?.origin.line;
      if (!('device' in e)) return undefined;
      const d = checker.deviceNamed(e.device);
      switch (e.op) {
        case 'unmap':
          return (d?.segmentAt(e.dma)?.mapping ?? d?.dropped.get(e.dma))?.origin.line;
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
    return undefined;
  } finally {
    cursor.close();
  }
}
