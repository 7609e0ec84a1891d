// The links between a map (or allocation) and the events that sync and release it, for go to definition and find
// references in a capture. The capture is read through the checker, and an event's address is looked up in the
// state just before it, as the checks look it up.
import { TraceChecker } from './checker';
import { EventStream } from './eventStream';
import type { DmaEvent } from './events';
import type { TraceCursor } from './reader';
import { firstAtLeast } from '../sorted/search';

/** Events that end what they release: after one, its map has no more references. */
const ENDS = new Set<DmaEvent['op']>(['unmap', 'unmap_sg', 'free', 'iommu_unmap']);

/**
 * The line that mapped or allocated what `e` syncs or releases, as `checker` holds it before `e`, negated when `e`
 * ends it (`ENDS`); undefined for other events.
 */
function linkOf(checker: TraceChecker, e: DmaEvent): number | undefined {
  const line = e.op === 'iommu_unmap' ? checker.iommu.byIova.get(e.iova)?.origin.line : (checker.releasedBy(e) ?? checker.syncedBy(e))?.origin.line;
  if (line !== undefined) return ENDS.has(e.op) ? -line : line;
  // An sg unmap of a dma-direct single mapping: check-trace blames that mapping and leaves it mapped, so a reference.
  return e.op === 'unmap_sg' ? checker.unmappedBySg(e)?.origin.line : undefined;
}

/**
 * Every link of a capture, found in one reading of it through the fast path's batches, as the debugger steps it: an
 * editor asks again and again as the cursor moves, and each answer is then a search, not a reading of the capture.
 */
export class MappingLinks {
  /** Per event that syncs or releases what the trace mapped, in line order: its line, and the map's (negated when it ends it, `ENDS`). */
  private readonly lines: number[] = [];
  private readonly origins: number[] = [];

  /** Reads `cursor` (which it closes). */
  constructor(cursor: TraceCursor) {
    const checker = new TraceChecker(() => undefined);
    const stream = new EventStream(cursor, (r) => checker.apply(r));
    try {
      while (stream.advance()) {
        const e = stream.event;
        const origin = linkOf(checker, e);
        if (origin !== undefined) {
          this.lines.push(stream.line);
          this.origins.push(origin);
        }
        stream.applyTo(checker);
      }
    } finally {
      stream.close();
    }
  }

  /**
   * The line where what the event at `line` unmaps, syncs or frees was mapped or allocated; undefined for any other
   * event, and when the trace does not show that map (made before it began).
   */
  mappedAt(line: number): number | undefined {
    const i = this.indexOf(line);
    return this.lines[i] === line ? Math.abs(this.origins[i]) : undefined;
  }

  /** The lines after `line` whose events sync, unmap or free what the event at `line` mapped or allocated, up to its release. */
  releasesOf(line: number): number[] {
    const found: number[] = [];
    for (let i = this.indexOf(line + 1); i < this.lines.length; i++) {
      const origin = this.origins[i];
      if (origin === line) found.push(this.lines[i]);
      else if (origin === -line) {
        found.push(this.lines[i]);
        break;
      }
    }
    return found;
  }

  /** The index of the first linked event at or after `line`. */
  private indexOf(line: number): number {
    return firstAtLeast(this.lines.length, (k) => this.lines[k], line);
  }
}
